package dev.portico.runtime.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.runtime.testing.RawHttpClient;
import dev.portico.runtime.testing.RawResponse;
import dev.portico.runtime.testing.RecordedRequest;
import dev.portico.runtime.testing.RunningProxy;
import dev.portico.runtime.testing.TestBackend;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a backend receives through the proxy, and what the client gets back, over real sockets. */
class ForwardingTest {

    @TempDir
    Path dir;
    TestBackend backend;
    RunningProxy proxy;

    @BeforeEach
    void start() {
        backend = TestBackend.start("app");
        proxy = RunningProxy.start(dir, RunningProxy.siteFor(backend, ""));
    }

    @AfterEach
    void stop() {
        proxy.close();
        backend.close();
    }

    @Test
    void theNormalisedPathAndTheQueryAsReceivedGoUpstream() {
        RawResponse response = proxy.get("/a%2db/../c//%64/./e%3f?x=1&y=%20z/../%2F");

        assertThat(response.status()).isEqualTo(200);
        assertThat(backend.takeRequest().uri()).isEqualTo("/c/d/e%3F?x=1&y=%20z/../%2F");
    }

    @Test
    void anEscapedSlashIsRefusedUnlessTheSiteKeepsIt() {
        assertThat(proxy.get("/a%2Fb?x=1").status()).isEqualTo(400);
        assertThat(backend.pollRequest(java.time.Duration.ofMillis(100))).isEmpty();

        proxy.reconfigure(RunningProxy.siteFor(backend, "paths: {escapedSlashes: Keep}"));

        assertThat(proxy.get("/a%2fb/../c?x=1").status()).isEqualTo(200);
        assertThat(backend.takeRequest().uri()).isEqualTo("/c?x=1");
        assertThat(proxy.get("/a%2fb?x=1").status()).isEqualTo(200);
        assertThat(backend.takeRequest().uri()).isEqualTo("/a%2Fb?x=1");
    }

    @Test
    void backendSeesOriginalHostAndForwardedHeadersFromAnUntrustedPeer() {
        proxy.request("GET", "App.Example.com:8443", "/", "X-Forwarded-For: 6.6.6.6", "X-Real-IP: 6.6.6.6",
                "X-Forwarded-Proto: https", "X-Forwarded-Prefix: /evil", "Forwarded: for=6.6.6.6");

        RecordedRequest seen = backend.takeRequest();
        assertThat(seen.header("Host")).isEqualTo("App.Example.com:8443");
        assertThat(seen.headers("X-Forwarded-For")).containsExactly("127.0.0.1");
        assertThat(seen.header("X-Real-IP")).isEqualTo("127.0.0.1");
        assertThat(seen.header("X-Forwarded-Proto")).isEqualTo("http");
        assertThat(seen.header("X-Forwarded-Host")).isEqualTo("App.Example.com:8443");
        assertThat(seen.header("X-Forwarded-Port")).isEqualTo("8443");
        assertThat(seen.hasHeader("X-Forwarded-Prefix")).isFalse();
        assertThat(seen.hasHeader("Forwarded")).isFalse();
    }

    @Test
    void trustedPeerChainIsExtendedAndItsClientBelieved() {
        proxy.reconfigure(RunningProxy.siteFor(backend, "trustedProxies: {cidrs: [\"127.0.0.0/8\", \"10.0.0.0/8\"]}"));

        proxy.get("/", "X-Forwarded-For: 203.0.113.7, 10.1.2.3", "X-Forwarded-Proto: https");

        RecordedRequest seen = backend.takeRequest();
        assertThat(seen.header("X-Forwarded-For")).isEqualTo("203.0.113.7, 10.1.2.3, 127.0.0.1");
        assertThat(seen.header("X-Real-IP")).isEqualTo("203.0.113.7");
        assertThat(seen.header("X-Forwarded-Proto")).isEqualTo("https");
    }

    @Test
    void hopByHopHeadersAreNotForwardedInEitherDirection() {
        RawResponse response = proxy.get("/__headers?Keep-Alive=timeout%3D5&X-App=1",
                "Connection: close, X-Secret-Hop", "X-Secret-Hop: 1", "Keep-Alive: 300", "TE: trailers",
                "Proxy-Authorization: Basic eA==", "X-End-To-End: yes");

        RecordedRequest seen = backend.takeRequest();
        assertThat(seen.hasHeader("X-Secret-Hop")).isFalse();
        assertThat(seen.hasHeader("Keep-Alive")).isFalse();
        assertThat(seen.hasHeader("TE")).isFalse();
        assertThat(seen.hasHeader("Proxy-Authorization")).isFalse();
        assertThat(seen.header("X-End-To-End")).isEqualTo("yes");
        assertThat(response.hasHeader("Keep-Alive")).isFalse();
        assertThat(response.header("X-App")).isEqualTo("1");
    }

    @Test
    void upstreamConnectionsAreKeptAliveAndReused() throws Exception {
        try (RawHttpClient client = proxy.connect()) {
            for (int i = 0; i < 20; i++) {
                client.send("GET /n/" + i + " HTTP/1.1\r\nHost: a\r\n\r\n");
                assertThat(client.readResponse().bodyText()).isEqualTo("ok app GET /n/" + i);
            }
        }
        assertThat(backend.requests()).hasSize(20);
        assertThat(backend.connectionsAccepted()).isEqualTo(1);
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        try (RawHttpClient client = proxy.connect()) {
            client.send("GET /__slow?delayMs=300 HTTP/1.1\r\nHost: a\r\n\r\n"
                    + "GET /second HTTP/1.1\r\nHost: a\r\n\r\n"
                    + "GET /__chunks?count=3&size=4 HTTP/1.1\r\nHost: a\r\n\r\n"
                    + "GET /fourth HTTP/1.1\r\nHost: a\r\n\r\n");
            assertThat(client.readResponse().bodyText()).isEqualTo("ok app GET /__slow?delayMs=300");
            assertThat(client.readResponse().bodyText()).isEqualTo("ok app GET /second");
            assertThat(client.readResponse().bodyText()).isEqualTo("aaaabbbbcccc");
            assertThat(client.readResponse().bodyText()).isEqualTo("ok app GET /fourth");
        }
    }

    @Test
    void headResponsesCarryNoBodyAndKeepTheConnectionUsable() throws Exception {
        try (RawHttpClient client = proxy.connect()) {
            client.send("HEAD /__download?bytes=1000 HTTP/1.1\r\nHost: a\r\n\r\n");
            RawResponse head = client.readResponse(true);
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.body()).isEmpty();
            client.send("GET /after HTTP/1.1\r\nHost: a\r\n\r\n");
            assertThat(client.readResponse().bodyText()).isEqualTo("ok app GET /after");
        }
    }

    @Test
    void http10ClientGetsACloseDelimitedBodyForAChunkedUpstreamResponse() throws Exception {
        try (RawHttpClient client = proxy.connect()) {
            client.send("GET /__chunks?count=2&size=3 HTTP/1.0\r\nHost: a\r\n\r\n");
            RawResponse response = client.readResponse();
            assertThat(response.bodyText()).isEqualTo("aaabbb");
            assertThat(response.hasHeader("Transfer-Encoding")).isFalse();
            assertThat(client.isClosedByPeer()).isTrue();
        }
        assertThat(backend.takeRequest().protocolVersion()).isEqualTo("HTTP/1.1");
    }

    @Test
    void anHttp10RequestWithoutHostGoesUpstreamWithTheBackendsAuthority() throws Exception {
        try (RawHttpClient client = proxy.connect()) {
            client.send("GET /no-host HTTP/1.0\r\n\r\n");
            assertThat(client.readResponse().bodyText()).isEqualTo("ok app GET /no-host");
        }
        RecordedRequest seen = backend.takeRequest();
        assertThat(seen.protocolVersion()).isEqualTo("HTTP/1.1");
        assertThat(seen.header("Host")).isEqualTo("127.0.0.1:" + backend.port());
    }
}
