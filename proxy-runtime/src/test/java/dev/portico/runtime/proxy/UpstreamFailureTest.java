package dev.portico.runtime.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.portico.runtime.testing.FreePorts;
import dev.portico.runtime.testing.RawHttpClient;
import dev.portico.runtime.testing.RawResponse;
import dev.portico.runtime.testing.RunningProxy;
import dev.portico.runtime.testing.TestBackend;
import java.io.EOFException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** What the client gets when the upstream refuses, resets, talks nonsense, is slow, or dies mid-response. */
@Timeout(60)
class UpstreamFailureTest {

    @TempDir
    Path dir;
    TestBackend backend;
    RunningProxy proxy;

    @BeforeEach
    void start() {
        backend = TestBackend.start("app");
        proxy = RunningProxy.start(dir, RunningProxy.siteFor(backend, "headers: {response: {set: {X-Site: \"yes\"}}}"));
    }

    @AfterEach
    void stop() {
        proxy.close();
        backend.close();
    }

    @Test
    void closedBackendPortIs502() {
        int closed = FreePorts.next();
        proxy.reconfigure(siteWithBackend("127.0.0.1", closed, ""));

        assertProxyError(proxy.get("/"), 502);
    }

    @Test
    void backendClosingWithoutAnAnswerIs502() {
        assertProxyError(proxy.get("/__close"), 502);
        assertThat(backend.takeRequest().uri()).isEqualTo("/__close");
    }

    @Test
    void backendResettingTheConnectionIs502() {
        assertProxyError(proxy.get("/__reset"), 502);
    }

    @Test
    void backendAnsweringGarbageIs502() {
        assertProxyError(proxy.get("/__garbage"), 502);
    }

    @Test
    void unresolvableServiceNameIs503() {
        proxy.reconfigure(siteWithBackend("no-such-host.invalid", 80, ""));

        assertProxyError(proxy.get("/"), 503);
    }

    @Test
    void slowBackendIs504AndACompleteRequestKeepsItsConnection() throws Exception {
        proxy.reconfigure(siteWithBackend("127.0.0.1", backend.port(), "timeouts: {response: 300ms}"));
        try (RawHttpClient client = proxy.connect()) {
            long start = System.nanoTime();
            client.send("GET /__slow?delayMs=2000 HTTP/1.1\r\nHost: a\r\n\r\n");
            RawResponse timedOut = client.readResponse();
            Duration waited = Duration.ofNanos(System.nanoTime() - start);

            assertProxyError(timedOut, 504);
            assertThat(waited).isBetween(Duration.ofMillis(250), Duration.ofMillis(1500));
            assertThat(timedOut.header("Connection")).isNull();

            client.send("GET /after HTTP/1.1\r\nHost: a\r\n\r\n");
            RawResponse after = client.readResponse();
            assertThat(after.status()).isEqualTo(200);
            assertThat(after.bodyText()).isEqualTo("ok app GET /after");
        }
        // The late answer to the slow request must not have been taken for the answer to the next one.
        assertThat(backend.connectionsAccepted()).isEqualTo(2);
    }

    @Test
    void upstreamDyingMidBodyCutsTheClientConnection() throws Exception {
        try (RawHttpClient client = proxy.connect()) {
            client.send("GET /__download?bytes=1000000&abortAfter=300000 HTTP/1.1\r\nHost: a\r\n\r\n");

            // The head went out before the failure, so no error status is possible: the client must see the cut.
            assertThatThrownBy(client::readResponse).isInstanceOf(EOFException.class)
                    .hasMessageContaining("of 1000000 body bytes");
        }
    }

    @Test
    void chunkedUpstreamDyingMidBodyIsNotTurnedIntoACleanEnd() throws Exception {
        try (RawHttpClient client = proxy.connect()) {
            client.send("GET /__chunks?count=10&size=100&delayMs=20&abortAfter=3 HTTP/1.1\r\nHost: a\r\n\r\n");
            byte[] all = client.readUntilClosed();
            String text = new String(all, StandardCharsets.ISO_8859_1);

            assertThat(text).startsWith("HTTP/1.1 200").containsIgnoringCase("Transfer-Encoding: chunked")
                    .contains("a".repeat(100)).contains("c".repeat(100)).doesNotContain("d".repeat(100));
            assertThat(text).as("no terminating chunk after a cut").doesNotEndWith("0\r\n\r\n");
        }
    }

    @Test
    void idleUpstreamConnectionClosedByTheBackendIsNotUsedAgain() throws Exception {
        assertThat(proxy.get("/one").status()).isEqualTo(200);
        backend.closeConnections();
        await().atMost(Duration.ofSeconds(5)).until(backend::openConnections, open -> open == 0);

        RawResponse response = proxy.get("/two");

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.bodyText()).isEqualTo("ok app GET /two");
    }

    @Test
    void getOnAKeepAliveConnectionTheBackendDropsJustThenIsRetriedOnAFreshOne() throws Exception {
        try (RawHttpClient client = proxy.connect()) {
            client.send("GET /warm HTTP/1.1\r\nHost: a\r\n\r\n");
            assertThat(client.readResponse().status()).isEqualTo(200);

            // Reaches the pooled connection, which the backend then closes without answering: the race of a
            // backend's keep-alive timeout firing just as the proxy reuses the connection.
            client.send("GET /__close?ifReused=true HTTP/1.1\r\nHost: a\r\n\r\n");
            RawResponse response = client.readResponse();

            assertThat(response.status()).isEqualTo(200);
            assertThat(response.bodyText()).isEqualTo("ok app GET /__close?ifReused=true");
        }
        assertThat(backend.connectionsAccepted()).isEqualTo(2);
        assertThat(backend.requests()).extracting(r -> r.connectionId()).containsExactly(1, 1, 2);
    }

    @Test
    void theFreshConnectionOfSuchARetryCarriesTheNextRequestToo() throws Exception {
        try (RawHttpClient client = proxy.connect()) {
            client.send("GET /warm HTTP/1.1\r\nHost: a\r\n\r\n");
            assertThat(client.readResponse().status()).isEqualTo(200);
            client.send("GET /__close?ifReused=true HTTP/1.1\r\nHost: a\r\n\r\n");
            assertThat(client.readResponse().status()).isEqualTo(200);

            // The retry went out whole (its head and the end of its empty body), so the connection it
            // took is pooled in a clean state and the next request reuses it. Before, the request's end
            // was not sent again: the pooled connection's encoder was left mid-message and failed the
            // next request on it with a 502 (seen as a killed pod costing requests it never had).
            client.send("GET /next HTTP/1.1\r\nHost: a\r\n\r\n");
            RawResponse response = client.readResponse();

            assertThat(response.status()).isEqualTo(200);
            assertThat(response.bodyText()).isEqualTo("ok app GET /next");
        }
        assertThat(backend.connectionsAccepted()).isEqualTo(2);
        assertThat(backend.requests()).extracting(r -> r.connectionId()).containsExactly(1, 1, 2, 2);
    }

    @Test
    void postWithABodyIsNotRetriedWhenTheReusedConnectionDrops() throws Exception {
        try (RawHttpClient client = proxy.connect()) {
            client.send("GET /warm HTTP/1.1\r\nHost: a\r\n\r\n");
            assertThat(client.readResponse().status()).isEqualTo(200);

            client.send("POST /__close?ifReused=true HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc");
            assertProxyError(client.readResponse(), 502);
        }
        assertThat(backend.requests()).hasSize(2);
    }

    // ---- helpers -----------------------------------------------------------------------

    private static String siteWithBackend(String service, int port, String routeExtra) {
        return """
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: test, generation: 2}
                spec:
                  hosts: ["*"]
                  headers: {response: {set: {X-Site: "yes"}}}
                  routes:
                    - match: {path: {value: /}}
                      backend: {service: %s, port: %d}
                %s
                """.formatted(service, port, routeExtra.indent(6).stripTrailing());
    }

    private static void assertProxyError(RawResponse response, int status) {
        assertThat(response.status()).as("%s", response).isEqualTo(status);
        assertThat(response.header("Content-Type")).startsWith("text/plain");
        assertThat(response.bodyText()).startsWith(String.valueOf(status)).hasSizeLessThan(200);
        assertThat(response.header("X-Site")).isEqualTo("yes");
    }
}
