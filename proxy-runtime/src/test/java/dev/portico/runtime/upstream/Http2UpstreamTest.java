package dev.portico.runtime.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portico.runtime.testing.H2Backend;
import dev.portico.runtime.testing.RawHttpClient;
import dev.portico.runtime.testing.RawResponse;
import dev.portico.runtime.testing.RecordedRequest;
import dev.portico.runtime.testing.RunningProxy;
import dev.portico.runtime.testing.TestBackend;
import dev.portico.runtime.tls.TestCertificates;
import dev.portico.runtime.tls.TestCertificates.KeyFormat;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTP/2 backends without gRPC, over real sockets: {@code protocol: H2C} (prior knowledge) for HTTP/1.1 and HTTP/2
 * clients alike, trailers both ways, per-stream flow control on a shared upstream connection, and {@code HTTPS}
 * with {@code offerHttp2} speaking what ALPN picks. One worker, so every request shares one upstream pool.
 */
@Timeout(60)
class Http2UpstreamTest {

    static TestCertificates.Ca ca;
    @TempDir
    Path dir;
    H2Backend h2c;
    H2Backend h2tls;
    TestBackend h1tls;
    RunningProxy proxy;

    @BeforeAll
    static void certificates() {
        ca = TestCertificates.newCa("Portico Test CA");
    }

    @BeforeEach
    void start() {
        TestCertificates.write(dir.resolve("secrets"), "site-tls",
                ca.issue(TestCertificates.leaf("site").ec().sans("localhost", "127.0.0.1")), KeyFormat.TRADITIONAL);
        h2c = H2Backend.startCleartext();
        h2tls = H2Backend.startTls();
        h1tls = TestBackend.startTls("h1tls");
        proxy = RunningProxy.startOnOneEventLoop(dir, """
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: h2up, generation: 1}
                spec:
                  hosts: ["*"]
                  tls:
                    certificates: [{secretName: site-tls}]
                    httpRedirect: false
                  limits: {maxRequestBodySize: 64Mi}
                  routes:
                    - match: {path: {value: /alpn-h2}}
                      backend: {service: 127.0.0.1, port: %d, protocol: HTTPS, tls: {insecureSkipVerify: true, offerHttp2: true}}
                    - match: {path: {value: /alpn-h1}}
                      backend: {service: 127.0.0.1, port: %d, protocol: HTTPS, tls: {insecureSkipVerify: true, offerHttp2: true}}
                    - match: {path: {value: /grpc-tls-h1}}
                      backend: {service: 127.0.0.1, port: %2$d, protocol: GRPC, tls: {insecureSkipVerify: true}}
                    - match: {path: {value: /}}
                      backend: {service: 127.0.0.1, port: %d, protocol: H2C}
                """.formatted(h2tls.port(), h1tls.port(), h2c.port()));
    }

    @AfterEach
    void stop() {
        proxy.close();
        h2c.close();
        h2tls.close();
        h1tls.close();
    }

    @Test
    void http11ClientReachesH2cBackendWithTrailersBothWays() throws Exception {
        try (RawHttpClient client = proxy.connect()) {
            client.send("""
                    POST /echo HTTP/1.1\r
                    Host: app.example.com\r
                    Transfer-Encoding: chunked\r
                    TE: trailers\r
                    Connection: keep-alive\r
                    \r
                    5\r
                    hello\r
                    0\r
                    x-request-trailer: yes\r
                    \r
                    """);
            RawResponse response = client.readResponse();

            assertThat(response.status()).isEqualTo(200);
            assertThat(response.protocolVersion()).isEqualTo("HTTP/1.1");
            assertThat(response.bodyText()).isEqualTo("h2 POST /echo 5");
            assertThat(response.header("Transfer-Encoding")).isEqualTo("chunked");
            assertThat(response.headers()).noneMatch(h -> h.name().toLowerCase().startsWith("x-http2-")
                    || h.name().startsWith(":"));
            assertThat(response.trailers()).anySatisfy(t -> {
                assertThat(t.name()).isEqualToIgnoringCase("x-response-trailer");
                assertThat(t.value()).isEqualTo("done");
            });
            H2Backend.Seen seen = h2c.take();
            assertThat(seen.host()).isEqualTo("app.example.com"); // :authority
            assertThat(seen.te()).isEqualTo("trailers");
            assertThat(seen.connection()).isNull();
            assertThat(seen.trailer()).isEqualTo("yes");

            // The same client connection goes on: the stream ended cleanly.
            client.send("GET /again HTTP/1.1\r\nHost: app.example.com\r\n\r\n");
            assertThat(client.readResponse().bodyText()).isEqualTo("h2 GET /again 0");
            assertThat(h2c.take().te()).as("no te: trailers unless the client sent it").isNull();
        }
        assertThat(proxy.metric("portico_upstream_http2_connects_total")).isEqualTo(1.0);
        assertThat(proxy.metric("portico_upstream_http2_streams_total")).isEqualTo(2.0);
    }

    @Test
    void http2ClientReachesH2cBackend() throws Exception {
        HttpClient client = HttpClient.newBuilder().sslContext(ca.clientContext()).version(HttpClient.Version.HTTP_2)
                .build();
        URI uri = URI.create("https://localhost:" + proxy.runtime().httpsPort() + "/h2/path?q=1");

        HttpResponse<String> response = client.send(HttpRequest.newBuilder(uri)
                .POST(HttpRequest.BodyPublishers.ofString("0123456789")).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(response.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("h2 POST /h2/path?q=1 10");
        assertThat(h2c.take().host()).isEqualTo("localhost:" + proxy.runtime().httpsPort());
    }

    /**
     * A client that stops reading stalls its own stream: the proxy stops reading that stream channel, the
     * backend's window for it runs out, and another client's request on the same upstream connection
     * (one event loop, one connection) is answered meanwhile. The stalled download then completes.
     */
    @Test
    void slowClientStallsOnlyItsOwnStream() throws Exception {
        long size = 32L * 1024 * 1024;
        String big = "/big?n=" + size;
        try (RawHttpClient slow = RawHttpClient.connectWithReceiveBuffer(proxy.httpPort(), 16 * 1024)) {
            slow.send("GET " + big + " HTTP/1.1\r\nHost: app.example.com\r\n\r\n");
            await().atMost(Duration.ofSeconds(10)).until(() -> h2c.sent(big) > 0);
            long before;
            do { // until the backend's writes for that stream stop: its window is exhausted
                before = h2c.sent(big);
                Thread.sleep(300);
            } while (h2c.sent(big) != before);

            RawResponse other = proxy.get("/small");

            assertThat(other.status()).isEqualTo(200);
            assertThat(other.bodyText()).isEqualTo("h2 GET /small 0");
            assertThat(h2c.sent(big)).as("the stalled stream holds back its backend").isLessThan(size / 2);
            assertThat(h2c.finished(big)).isFalse();
            assertThat(proxy.metric("portico_upstream_http2_connects_total")).as("one shared connection").isEqualTo(1.0);

            RawResponse download = slow.readTimeout(Duration.ofSeconds(30)).readResponse();
            assertThat(download.status()).isEqualTo(200);
            assertThat((long) download.body().length).isEqualTo(size);
            assertThat(h2c.finished(big)).isTrue();
        }
    }

    /**
     * A stream the backend resets before answering is a 502, or for a gRPC request UNAVAILABLE in a
     * trailers-only answer; the shared connection serves on.
     */
    @Test
    void streamResetByTheBackendIs502OrUnavailable() {
        RawResponse plain = proxy.request("POST", "app.example.com", "/reset", "Content-Length: 0");
        RawResponse grpc = proxy.request("POST", "app.example.com", "/reset", "Content-Length: 0",
                "Content-Type: application/grpc");

        assertThat(plain.status()).isEqualTo(502);
        assertThat(grpc.status()).isEqualTo(200);
        assertThat(grpc.header("Content-Type")).isEqualTo("application/grpc");
        assertThat(grpc.header("grpc-status")).isEqualTo("14");
        assertThat(grpc.header("grpc-message")).isEqualTo("portico: 502 Bad Gateway");
        assertThat(proxy.get("/after").bodyText()).isEqualTo("h2 GET /after 0");
        assertThat(proxy.metric("portico_upstream_http2_connects_total")).isEqualTo(1.0);
    }

    /** After GOAWAY the connection takes no new stream: the next request opens another connection. */
    @Test
    void goAwayMovesNewStreamsToANewConnection() throws Exception {
        assertThat(proxy.get("/goaway").bodyText()).isEqualTo("h2 GET /goaway 0");
        Thread.sleep(200); // the GOAWAY follows the response on the wire

        for (int i = 0; i < 3; i++) {
            assertThat(proxy.get("/next").status()).isEqualTo(200);
        }
        assertThat(proxy.metric("portico_upstream_http2_connects_total")).isEqualTo(2.0);
    }

    /**
     * A backend allowing 2 concurrent streams gets a second connection for the third stream in flight (three
     * downloads held open by clients that do not read).
     */
    @Test
    void aFullConnectionMakesTheNextStreamOpenAnother() throws Exception {
        try (H2Backend narrow = H2Backend.startCleartext(2)) {
            proxy.reconfigure(Files.readString(proxy.siteFile()).replace("    - match: {path: {value: /}}\n", """
                        - match: {path: {value: /narrow}}
                          backend: {service: 127.0.0.1, port: %d, protocol: H2C}
                        - match: {path: {value: /}}
                    """.formatted(narrow.port())));
            List<RawHttpClient> stalled = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    String big = "/narrow/big?n=" + (32L * 1024 * 1024 + i);
                    RawHttpClient client = RawHttpClient.connectWithReceiveBuffer(proxy.httpPort(), 16 * 1024);
                    stalled.add(client);
                    client.send("GET " + big + " HTTP/1.1\r\nHost: app.example.com\r\n\r\n");
                    await().atMost(Duration.ofSeconds(10)).until(() -> narrow.sent(big) > 0);
                }

                assertThat(proxy.metric("portico_upstream_http2_connects_total")).isEqualTo(2.0);
                assertThat(proxy.metric("portico_upstream_http2_streams_total")).isEqualTo(3.0);
            } finally {
                for (RawHttpClient client : stalled) {
                    client.close();
                }
            }
        }
    }

    @Test
    void httpsOfferingHttp2SpeaksH2WhenTheBackendPicksIt() {
        RawResponse response = proxy.get("/alpn-h2/x");

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.bodyText()).isEqualTo("h2 GET /alpn-h2/x 0");
        assertThat(proxy.metric("portico_upstream_http2_connects_total")).isEqualTo(1.0);
    }

    @Test
    void httpsOfferingHttp2SpeaksHttp11ToABackendWithoutAlpn() throws Exception {
        RawResponse first = proxy.get("/alpn-h1/x");
        RawResponse second = proxy.get("/alpn-h1/y");

        assertThat(first.status()).isEqualTo(200);
        assertThat(first.bodyText()).isEqualTo("ok h1tls GET /alpn-h1/x");
        assertThat(second.bodyText()).isEqualTo("ok h1tls GET /alpn-h1/y");
        RecordedRequest seen = h1tls.takeRequest();
        assertThat(seen.protocolVersion()).isEqualTo("HTTP/1.1");
        assertThat(proxy.metric("portico_upstream_http2_connects_total")).isEqualTo(0.0);
        assertThat(proxy.metric("portico_upstream_reuses_total")).as("HTTP/1.1 keep-alive as before").isEqualTo(1.0);
    }

    @Test
    void grpcOverTlsToABackendThatDoesNotSpeakH2Is502() {
        RawResponse response = proxy.get("/grpc-tls-h1/x");

        assertThat(response.status()).isEqualTo(502);
        assertThat(proxy.metric("portico_upstream_http2_connects_total")).isEqualTo(0.0);
    }
}
