package dev.portico.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portico.runtime.testing.RawHttpClient;
import dev.portico.runtime.testing.RawResponse;
import dev.portico.runtime.testing.RecordedRequest;
import dev.portico.runtime.testing.TestBackend;
import dev.portico.runtime.tls.TestCertificates;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chatalot's "TLS and Reverse Proxy" guide, held against deploy/examples/chatalot.yaml as the
 * operator deploys it: every requirement and "Verifying Your Setup" step, on every pod, then
 * again after a route change and a certificate rotation pushed by the operator, with a
 * WebSocket left open throughout.
 */
@EnableKubernetesMockClient(crud = true)
@Timeout(180)
class ChatalotEndToEndTest {

    private static final String NS = "chatalot";
    private static final String HOST = "chat.example.com";

    KubernetesMockServer server;
    KubernetesClient client;

    @TempDir
    Path root;

    private ClusterStandIn cluster;
    private TestBackend chatalot;
    private List<KubeletStandIn.RunningPod> pods;

    @BeforeEach
    void deploy() {
        chatalot = TestBackend.start("chatalot");
        cluster = new ClusterStandIn(server, client, root);
        // The guide's proxy_pass http://127.0.0.1:8080: here the Service chatalot:8080.
        cluster.services.put("chatalot", 8080, chatalot);
        cluster.tlsSecret(NS, "chatalot-tls", HOST);
        cluster.applyExample("chatalot.yaml");
        pods = cluster.startPods(NS, "chatalot", 2);
        cluster.awaitProgrammed(NS, "chatalot");
    }

    @AfterEach
    void tearDown() {
        cluster.close();
        chatalot.close();
    }

    @Test
    void theGuideHoldsOnEveryPodAcrossARouteChangeAndACertificateRotation() throws Exception {
        for (KubeletStandIn.RunningPod pod : pods) {
            verifyTheGuide(pod);
        }
        SSLSocket held = Clients.tls(cluster.ca.clientContext(), pods.get(0).httpsPort(), HOST);
        Clients.WebSocketSession websocket = Clients.WebSocketSession.open(held, HOST, "/ws");
        assertThat(websocket.echo("before")).isEqualTo("before");
        String firstHash = cluster.status(NS, "chatalot").configHash();

        // A route change: uploads of up to 200 MiB from now on.
        cluster.edit(NS, "chatalot", yaml -> yaml.replace("maxRequestBodySize: 110Mi", "maxRequestBodySize: 200Mi"));
        String secondHash = cluster.awaitProgrammed(NS, "chatalot").configHash();
        assertThat(secondHash).isNotEqualTo(firstHash);
        assertThat(declaredUpload(pods.get(1), 150L << 20).status()).as("the new limit serves: go on").isEqualTo(100);
        assertThat(websocket.echo("after the route change")).isEqualTo("after the route change");

        // A renewal by cert-manager: new handshakes get the new certificate.
        BigInteger before = Clients.peerLeaf(Clients.tls(cluster.ca.clientContext(), pods.get(1).httpsPort(), HOST))
                .getSerialNumber();
        TestCertificates.Issued renewed = cluster.tlsSecret(NS, "chatalot-tls", HOST);
        cluster.awaitProgrammed(NS, "chatalot");
        for (KubeletStandIn.RunningPod pod : pods) {
            BigInteger now = Clients.peerLeaf(Clients.tls(cluster.ca.clientContext(), pod.httpsPort(), HOST)).getSerialNumber();
            assertThat(now).isEqualTo(renewed.leaf().getSerialNumber()).isNotEqualTo(before);
        }
        assertThat(websocket.echo("after the rotation")).as("the open WebSocket was never closed")
                .isEqualTo("after the rotation");

        for (KubeletStandIn.RunningPod pod : pods) {
            verifyTheGuide(pod);
        }
    }

    private void verifyTheGuide(KubeletStandIn.RunningPod pod) throws Exception {
        // listen 80; return 301 https://$host$request_uri;
        try (RawHttpClient plain = RawHttpClient.connect(pod.httpPort())) {
            RawResponse redirect = plain.send("GET /rooms/42?x=1 HTTP/1.1\r\nHost: " + HOST + "\r\n\r\n").readResponse();
            assertThat(redirect.status()).isEqualTo(301);
            assertThat(redirect.header("Location")).isEqualTo("https://" + HOST + "/rooms/42?x=1");
        }

        // ssl_protocols TLSv1.2 TLSv1.3; listen 443 ssl http2;
        for (String version : List.of("TLSv1.2", "TLSv1.3")) {
            try (SSLSocket socket = Clients.tls(cluster.ca.clientContext(version), pod.httpsPort(), HOST)) {
                assertThat(socket.getSession().getProtocol()).isEqualTo(version);
            }
        }
        assertThatThrownBy(() -> Clients.tls(cluster.ca.clientContext("TLSv1.1"), pod.httpsPort(), HOST))
                .isInstanceOf(SSLException.class);
        try (SSLSocket socket = Clients.tls(cluster.ca.clientContext(), pod.httpsPort(), HOST, "h2", "http/1.1")) {
            assertThat(socket.getApplicationProtocol()).isEqualTo("h2");
        }

        // curl https://chat.example.com/api/health, with the headers the nginx block sets.
        try (SSLSocket socket = Clients.tls(cluster.ca.clientContext(), pod.httpsPort(), HOST)) {
            RawResponse health = Clients.request(socket, "GET", HOST, "/api/health");
            assertThat(health.status()).isEqualTo(200);
            assertThat(health.bodyText()).isEqualTo("ok chatalot GET /api/health");
        }
        RecordedRequest seen = lastRequest("/api/health");
        assertThat(seen.header("Host")).isEqualTo(HOST);
        assertThat(seen.header("X-Real-IP")).isEqualTo("127.0.0.1");
        assertThat(seen.header("X-Forwarded-For")).isEqualTo("127.0.0.1");
        assertThat(seen.header("X-Forwarded-Proto")).isEqualTo("https");

        // wscat -c wss://chat.example.com/ws: the path goes upstream as /ws.
        try (SSLSocket socket = Clients.tls(cluster.ca.clientContext(), pod.httpsPort(), HOST)) {
            Clients.WebSocketSession websocket = Clients.WebSocketSession.open(socket, HOST, "/ws");
            assertThat(websocket.handshake.status()).isEqualTo(101);
            assertThat(websocket.echo("hello")).isEqualTo("hello");
        }
        assertThat(lastRequest("/ws").header("Upgrade")).isEqualToIgnoringCase("websocket");

        // client_max_body_size 110M: a 2 MiB attachment (over nginx's 1 MiB default) passes, 111 MiB does not.
        assertThat(upload(pod, 2 << 20).status()).isEqualTo(200);
        assertThat(lastRequest("/api/files").bodyLength()).isEqualTo(2 << 20);
        assertThat(declaredUpload(pod, 111L << 20).status()).isEqualTo(413);
    }

    private RawResponse upload(KubeletStandIn.RunningPod pod, int bytes) throws IOException {
        try (SSLSocket socket = Clients.tls(cluster.ca.clientContext(), pod.httpsPort(), HOST)) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST /api/files HTTP/1.1\r\nHost: " + HOST + "\r\nContent-Length: " + bytes
                    + "\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            byte[] block = new byte[64 * 1024];
            for (int sent = 0; sent < bytes; sent += block.length) {
                out.write(block, 0, Math.min(block.length, bytes - sent));
            }
            out.flush();
            return RawHttpClient.over(socket).readResponse();
        }
    }

    /** A request that declares a body of {@code bytes} and asks for the verdict (100 or a refusal) before sending it. */
    private RawResponse declaredUpload(KubeletStandIn.RunningPod pod, long bytes) throws IOException {
        try (Socket socket = Clients.tls(cluster.ca.clientContext(), pod.httpsPort(), HOST)) {
            return RawHttpClient.over(socket).send("POST /api/files HTTP/1.1\r\nHost: " + HOST + "\r\nContent-Length: "
                    + bytes + "\r\nExpect: 100-continue\r\n\r\n").readInterimOrFinal();
        }
    }

    private RecordedRequest lastRequest(String path) {
        List<RecordedRequest> matching = chatalot.requests().stream().filter(r -> r.uri().startsWith(path)).toList();
        assertThat(matching).as("requests for %s at the backend", path).isNotEmpty();
        return matching.get(matching.size() - 1);
    }
}
