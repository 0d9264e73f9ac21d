package dev.portico.runtime.tls;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.runtime.testing.RecordedRequest;
import dev.portico.runtime.testing.RunningProxy;
import dev.portico.runtime.testing.TestBackend;
import dev.portico.runtime.tls.TestCertificates.KeyFormat;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTP/2 through the TLS listener with the JDK client: each stream is an HTTP/1.1
 * exchange upstream with everything the HTTP core does. The JDK client takes :authority
 * from the URI, so the names used are the ones that resolve here: localhost and 127.0.0.1.
 */
@Timeout(60)
class Http2Test {

    static TestCertificates.Ca ca;
    @TempDir
    Path dir;
    TestBackend app;
    TestBackend other;
    RunningProxy proxy;
    HttpClient client;

    @BeforeAll
    static void certificates() {
        ca = TestCertificates.newCa("Portico Test CA");
    }

    @BeforeEach
    void start() {
        TestCertificates.write(dir.resolve("secrets"), "site-tls",
                ca.issue(TestCertificates.leaf("site").ec().sans("localhost", "127.0.0.1")), KeyFormat.TRADITIONAL);
        app = TestBackend.start("app");
        other = TestBackend.start("other");
        proxy = RunningProxy.start(dir, site("[\"localhost\", \"127.0.0.1\"]"));
        client = TlsClients.httpClient(ca.clientContext(), HttpClient.Version.HTTP_2);
    }

    @AfterEach
    void stop() {
        proxy.close();
        app.close();
        other.close();
    }

    private String site(String hosts) {
        return """
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: h2, generation: 1}
                spec:
                  hosts: %s
                  tls:
                    certificates: [{secretName: site-tls}]
                  limits: {maxRequestBodySize: 8Mi}
                  routes:
                    - match: {path: {value: /}, hosts: ["127.0.0.1"]}
                      backend: {service: 127.0.0.1, port: %d}
                    - match: {path: {value: /small}}
                      backend: {service: 127.0.0.1, port: %d}
                      maxRequestBodySize: 1Mi
                    - match: {path: {value: /}}
                      backend: {service: 127.0.0.1, port: %d}
                """.formatted(hosts, other.port(), app.port(), app.port());
    }

    private URI uri(String host, String target) {
        return URI.create("https://" + host + ":" + proxy.runtime().httpsPort() + target);
    }

    private HttpResponse<String> get(String host, String target) throws Exception {
        return client.send(HttpRequest.newBuilder(uri(host, target)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void requestIsRoutedByAuthorityAndForwardedAsHttp11() throws Exception {
        HttpResponse<String> response = get("localhost", "/a/b?x=1");

        assertThat(response.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("ok app GET /a/b?x=1");
        RecordedRequest seen = app.takeRequest();
        int port = proxy.runtime().httpsPort();
        assertThat(seen.protocolVersion()).isEqualTo("HTTP/1.1");
        assertThat(seen.header("Host")).isEqualTo("localhost:" + port);
        assertThat(seen.headers("Host")).hasSize(1);
        assertThat(seen.header("X-Forwarded-Proto")).isEqualTo("https");
        assertThat(seen.header("X-Forwarded-Host")).isEqualTo("localhost:" + port);
        assertThat(seen.header("X-Forwarded-Port")).isEqualTo(String.valueOf(port));
        assertThat(seen.header("X-Forwarded-For")).isEqualTo("127.0.0.1");
        assertThat(seen.headers()).noneMatch(h -> h.name().toLowerCase().startsWith("x-http2-")
                || h.name().startsWith(":"));

        assertThat(get("127.0.0.1", "/a").body()).isEqualTo("ok other GET /a");
        assertThat(other.takeRequest().header("Host")).isEqualTo("127.0.0.1:" + port);
    }

    @Test
    void unknownAuthorityIs404() throws Exception {
        proxy.reconfigure(site("[\"localhost\"]").replace("hosts: [\"127.0.0.1\"]", "hosts: [\"localhost\"]"));
        assertThat(proxy.runtime().currentConfig().router().servesHost("127.0.0.1")).isFalse();

        HttpResponse<String> response = get("127.0.0.1", "/");

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(app.pollRequest(Duration.ofMillis(200))).isEmpty();
        assertThat(other.pollRequest(Duration.ofMillis(200))).isEmpty();
    }

    @Test
    void uploadWithoutLengthStreamsChunkedToTheBackend() throws Exception {
        byte[] body = new byte[5 * 1024 * 1024];
        new Random(7).nextBytes(body);
        HttpRequest request = HttpRequest.newBuilder(uri("localhost", "/upload"))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body)))
                .build();

        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("X-Received-Sha256")).hasValue(sha256(body));
        RecordedRequest seen = app.takeRequest();
        assertThat(seen.bodyLength()).isEqualTo(body.length);
        assertThat(seen.bodySha256()).isEqualTo(sha256(body));
        assertThat(seen.chunked()).isTrue();
        assertThat(seen.hasHeader("Content-Length")).isFalse();
    }

    @Test
    void uploadWithLengthKeepsItsLength() throws Exception {
        byte[] body = new byte[300_000];
        new Random(8).nextBytes(body);

        HttpResponse<String> response = client.send(HttpRequest.newBuilder(uri("localhost", "/sized"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        RecordedRequest seen = app.takeRequest();
        assertThat(seen.header("Content-Length")).isEqualTo("300000");
        assertThat(seen.chunked()).isFalse();
        assertThat(seen.bodySha256()).isEqualTo(sha256(body));
    }

    @Test
    void manyConcurrentStreamsOnOneConnectionAllSucceed() throws Exception {
        assertThat(get("localhost", "/warm-up").version()).isEqualTo(HttpClient.Version.HTTP_2);
        int connectionsBefore = app.connectionsAccepted();

        List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            responses.add(client.sendAsync(HttpRequest.newBuilder(uri("localhost", "/__slow?delayMs=300&i=" + i))
                    .build(), HttpResponse.BodyHandlers.ofString()));
        }

        for (int i = 0; i < 50; i++) {
            HttpResponse<String> response = responses.get(i).get(30, TimeUnit.SECONDS);
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.version()).isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(response.body()).isEqualTo("ok app GET /__slow?delayMs=300&i=" + i);
        }
        // Streams ran in parallel: 50 slow answers needed (about) 50 upstream connections at once.
        assertThat(app.connectionsAccepted() - connectionsBefore).isGreaterThan(10);
    }

    @Test
    void streamsAreNotCountedAsClientConnections() throws Exception {
        // One request first, so the client has its connection before it opens streams on it.
        assertThat(get("localhost", "/warm-up").version()).isEqualTo(HttpClient.Version.HTTP_2);
        List<CompletableFuture<HttpResponse<java.io.InputStream>>> open = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            open.add(client.sendAsync(HttpRequest.newBuilder(uri("localhost", "/__sse?events=1&hold=true&i=" + i))
                    .build(), HttpResponse.BodyHandlers.ofInputStream()));
        }
        for (var stream : open) {
            assertThat(stream.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        }

        // Five streams are open on one TLS connection: the gauge counts the connection.
        String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + proxy.adminPort() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertThat(metrics).containsPattern("(?m)^portico_connections_open 1\\.0$");
        for (var stream : open) {
            stream.get().body().close();
        }
    }

    @Test
    void serverSentEventsArriveWhileTheStreamIsHeldOpen() throws Exception {
        HttpResponse<InputStream> response = client.send(HttpRequest.newBuilder(
                uri("localhost", "/__sse?events=1&hold=true")).build(), HttpResponse.BodyHandlers.ofInputStream());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("text/event-stream"));
        CompletableFuture<List<String>> firstEvent = CompletableFuture.supplyAsync(() -> {
            try {
                BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(),
                        StandardCharsets.UTF_8));
                return List.of(reader.readLine(), reader.readLine(), reader.readLine());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(firstEvent.get(5, TimeUnit.SECONDS)).containsExactly("id: 1", "data: event-1", "");
        response.body().close();
    }

    @Test
    void largeDownloadArrivesIntact() throws Exception {
        long size = 20L * 1024 * 1024;
        HttpResponse<InputStream> response = client.send(HttpRequest.newBuilder(
                uri("localhost", "/__download?bytes=" + size)).build(), HttpResponse.BodyHandlers.ofInputStream());

        assertThat(response.statusCode()).isEqualTo(200);
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        long total = 0;
        try (InputStream in = response.body()) {
            byte[] buffer = new byte[64 * 1024];
            for (int n; (n = in.read(buffer)) >= 0; ) {
                sha.update(buffer, 0, n);
                total += n;
            }
        }
        assertThat(total).isEqualTo(size);
        assertThat(HexFormat.of().formatHex(sha.digest())).isEqualTo(TestBackend.downloadSha256(size));
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
