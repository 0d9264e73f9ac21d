package dev.portico.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portico.operator.testbed.TestbedKubelet;
import dev.portico.runtime.testing.RawHttpClient;
import dev.portico.runtime.testing.RawResponse;
import dev.portico.runtime.testing.RecordedRequest;
import dev.portico.runtime.testing.TestBackend;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;

/**
 * The checks the seed guides ask of a reverse proxy, run against one proxy pod over real
 * sockets: a guide's test names its host and paths and calls these.
 */
final class GuideChecks {

    private final ClusterStandIn cluster;
    private final TestbedKubelet.RunningPod pod;
    private final String host;

    GuideChecks(ClusterStandIn cluster, TestbedKubelet.RunningPod pod, String host) {
        this.cluster = cluster;
        this.pod = pod;
        this.host = host;
    }

    SSLSocket tls(String... alpn) throws IOException {
        return Clients.tls(cluster.ca.clientContext(), pod.ip(), pod.runtime().httpsPort(), host, alpn);
    }

    /** {@code return 301 https://$host$request_uri;} on the plain port. */
    void redirectsPlainHttpToHttps() throws IOException {
        try (RawHttpClient plain = RawHttpClient.over(new Socket(pod.ip(), pod.runtime().httpPort()))) {
            RawResponse redirect = plain.send("GET /some/page?q=1 HTTP/1.1\r\nHost: " + host + "\r\n\r\n").readResponse();
            assertThat(redirect.status()).isEqualTo(301);
            assertThat(redirect.header("Location")).isEqualTo("https://" + host + "/some/page?q=1");
        }
    }

    /** Handshakes with each accepted version succeed and with each refused one fail. */
    void speaksTls(List<String> accepted, List<String> refused) throws IOException {
        for (String version : accepted) {
            try (SSLSocket socket = Clients.tls(cluster.ca.clientContext(version), pod.ip(), pod.runtime().httpsPort(), host)) {
                assertThat(socket.getSession().getProtocol()).isEqualTo(version);
            }
        }
        for (String version : refused) {
            SSLContext context = cluster.ca.clientContext(version);
            assertThatThrownBy(() -> Clients.tls(context, pod.ip(), pod.runtime().httpsPort(), host)).as("a %s handshake", version)
                    .isInstanceOf(SSLException.class);
        }
    }

    /** {@code listen 443 ssl http2;} */
    void offersHttp2() throws IOException {
        try (SSLSocket socket = tls("h2", "http/1.1")) {
            assertThat(socket.getApplicationProtocol()).isEqualTo("h2");
        }
    }

    RawResponse get(String target, String... headers) throws IOException {
        try (SSLSocket socket = tls()) {
            return Clients.request(socket, "GET", host, target, headers);
        }
    }

    /** GET over TLS reaches {@code backend} unchanged, with the headers every guide asks to be forwarded. */
    RecordedRequest forwardsWithTheProxyHeaders(String target, TestBackend backend) throws IOException {
        RawResponse response = get(target);
        assertThat(response.status()).as("GET %s", target).isEqualTo(200);
        assertThat(response.bodyText()).isEqualTo("ok " + backend.name() + " GET " + target);
        RecordedRequest seen = last(backend, target);
        assertThat(seen.header("Host")).isEqualTo(host);
        assertThat(seen.header("X-Forwarded-Proto")).isEqualTo("https");
        assertThat(seen.header("X-Forwarded-For")).isEqualTo("127.0.0.1");
        assertThat(seen.header("X-Real-IP")).isEqualTo("127.0.0.1");
        return seen;
    }

    /** An upgrade on {@code path} reaches {@code backend} as a WebSocket that echoes. */
    void carriesWebSockets(String path, TestBackend backend) throws IOException {
        try (SSLSocket socket = tls()) {
            Clients.WebSocketSession websocket = Clients.WebSocketSession.open(socket, host, path);
            assertThat(websocket.handshake.status()).isEqualTo(101);
            assertThat(websocket.echo("ping " + path)).isEqualTo("ping " + path);
        }
        RecordedRequest upgrade = last(backend, path);
        assertThat(upgrade.header("Upgrade")).isEqualToIgnoringCase("websocket");
        assertThat(upgrade.header("Host")).isEqualTo(host);
    }

    /** HTTP/1.0 cannot carry WebSockets (authentik's note): refused with 400. */
    void refusesHttp10Upgrades() throws IOException {
        try (SSLSocket socket = tls()) {
            socket.getOutputStream().write(("GET /ws HTTP/1.0\r\nHost: " + host + "\r\nUpgrade: websocket\r\n"
                    + "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            assertThat(RawHttpClient.over(socket).readResponse().status()).isEqualTo(400);
        }
    }

    /**
     * Server-sent events are not buffered: the first event arrives while the backend still
     * holds the stream open, and nothing compresses it.
     */
    void streamsServerSentEvents() throws IOException {
        try (SSLSocket socket = tls()) {
            OutputStream out = socket.getOutputStream();
            out.write(("GET /__sse?events=1&hold=true HTTP/1.1\r\nHost: " + host
                    + "\r\nAccept: text/event-stream\r\nAccept-Encoding: gzip, br, zstd\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            String status = in.readLine();
            assertThat(status).startsWith("HTTP/1.1 200");
            String line;
            boolean eventStream = false;
            while (!(line = in.readLine()).isEmpty()) {
                assertThat(line.toLowerCase()).doesNotStartWith("content-encoding");
                eventStream |= line.toLowerCase().startsWith("content-type: text/event-stream");
            }
            assertThat(eventStream).isTrue();
            // The backend holds the stream open after this event: it can only be here unbuffered.
            String data;
            do {
                data = in.readLine();
            } while (data != null && !data.startsWith("data:"));
            assertThat(data).isEqualTo("data: event-1");
        }
    }

    /** A body of {@code bytes} is streamed through whole. */
    void acceptsUploadsOf(long bytes, TestBackend backend) throws IOException {
        try (SSLSocket socket = tls()) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST /upload HTTP/1.1\r\nHost: " + host + "\r\nContent-Length: " + bytes
                    + "\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            byte[] block = new byte[64 * 1024];
            for (long sent = 0; sent < bytes; sent += block.length) {
                out.write(block, 0, (int) Math.min(block.length, bytes - sent));
            }
            out.flush();
            assertThat(RawHttpClient.over(socket).readResponse().status()).isEqualTo(200);
        }
        assertThat(last(backend, "/upload").bodyLength()).isEqualTo(bytes);
    }

    /** A declared body over the limit is refused with 413 before it is sent. */
    void refusesUploadsOf(long bytes) throws IOException {
        assertThat(declaredUpload(bytes).status()).isEqualTo(413);
    }

    /** A declared body within the limit is invited with 100 Continue. */
    void invitesUploadsOf(long bytes) throws IOException {
        assertThat(declaredUpload(bytes).status()).isEqualTo(100);
    }

    private RawResponse declaredUpload(long bytes) throws IOException {
        try (Socket socket = tls()) {
            return RawHttpClient.over(socket).send("POST /upload HTTP/1.1\r\nHost: " + host + "\r\nContent-Length: "
                    + bytes + "\r\nExpect: 100-continue\r\n\r\n").readInterimOrFinal();
        }
    }

    static RecordedRequest last(TestBackend backend, String target) {
        List<RecordedRequest> matching = backend.requests().stream().filter(r -> r.uri().equals(target)).toList();
        assertThat(matching).as("requests for %s at %s", target, backend.name()).isNotEmpty();
        return matching.get(matching.size() - 1);
    }
}
