package dev.portico.runtime.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.runtime.testing.RawHttpClient;
import dev.portico.runtime.testing.RawResponse;
import dev.portico.runtime.testing.RecordedRequest;
import dev.portico.runtime.testing.RunningProxy;
import dev.portico.runtime.testing.TestBackend;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The site's limits and the malformed requests the proxy answers itself: each with a short plain-text error that
 * carries the site's response headers, nothing (or nothing complete) forwarded, and the connection closed where
 * the request's framing can no longer be trusted.
 */
@Timeout(60)
class RequestLimitsTest {

    /** How long to wait before concluding that the backend did not get a request. */
    private static final Duration NOTHING_FORWARDED = Duration.ofMillis(300);

    @TempDir
    Path dir;
    TestBackend backend;
    RunningProxy proxy;

    @BeforeEach
    void start() {
        backend = TestBackend.start("app");
        proxy = RunningProxy.start(dir, """
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: limits, generation: 1}
                spec:
                  hosts: ["*"]
                  limits: {maxRequestBodySize: 1Ki, maxRequestHeadersSize: 4Ki, requestHeaderTimeout: 500ms}
                  headers: {response: {set: {X-Site: "yes"}}}
                  routes:
                    - match: {path: {value: /big}}
                      backend: {service: 127.0.0.1, port: %1$d}
                      maxRequestBodySize: 8Ki
                    - match: {path: {value: /}}
                      backend: {service: 127.0.0.1, port: %1$d}
                """.formatted(backend.port()));
    }

    @AfterEach
    void stop() {
        proxy.close();
        backend.close();
    }

    // ---- body size ---------------------------------------------------------------------

    @Test
    void contentLengthOverTheLimitIs413WithoutTheBackendSeeingTheRequest() throws Exception {
        try (RawHttpClient client = proxy.connect()) {
            client.send("POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 1025\r\n\r\n");
            RawResponse response = client.readResponse();

            assertProxyError(response, 413);
            assertThat(client.isClosedByPeer()).as("the unread body must not be taken for a request").isTrue();
        }
        assertThat(backend.pollRequest(NOTHING_FORWARDED)).isEmpty();
        assertThat(backend.connectionsAccepted()).isZero();
    }

    @Test
    void contentLengthOverTheLimitSentWithItsBodyStillGets413() throws Exception {
        try (RawHttpClient client = proxy.connect()) {
            client.send("POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 2048\r\n\r\n" + "x".repeat(2048));
            RawResponse response = client.readResponse();

            assertProxyError(response, 413);
            assertThat(client.isClosedByPeer()).isTrue();
        }
        assertThat(backend.connectionsAccepted()).isZero();
    }

    @Test
    void largeBodySentWithoutWaitingStillGetsTheClientA413() throws Exception {
        // curl and most clients send the body right behind the head: the 413 must not be lost to a reset when
        // the proxy closes a connection with that body still unread.
        for (int i = 0; i < 5; i++) {
            try (RawHttpClient client = proxy.connect()) {
                client.send(("POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 2000000\r\n\r\n"
                        + "z".repeat(2_000_000)).getBytes(StandardCharsets.ISO_8859_1));
                assertProxyError(client.readResponse(), 413);
            }
        }
        assertThat(backend.connectionsAccepted()).isZero();
    }

    @Test
    void contentLengthAtTheLimitIsForwarded() throws Exception {
        try (RawHttpClient client = proxy.connect()) {
            client.send("POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 1024\r\n\r\n" + "x".repeat(1024));
            RawResponse response = client.readResponse();

            assertThat(response.status()).isEqualTo(200);
            assertThat(response.header("X-Received-Bytes")).isEqualTo("1024");
        }
    }

    @Test
    void expectContinueWithATooLargeBodyGets413InsteadOf100() throws Exception {
        try (RawHttpClient client = proxy.connect()) {
            client.send("PUT /up HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n");
            RawResponse response = client.readInterimOrFinal();

            assertProxyError(response, 413);
            assertThat(client.isClosedByPeer()).isTrue();
        }
        assertThat(backend.connectionsAccepted()).isZero();
    }

    @Test
    void chunkedBodyCrossingTheLimitMidStreamIs413AndClosesTheConnection() throws Exception {
        try (RawHttpClient client = proxy.connect()) {
            client.send("POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "200\r\n" + "a".repeat(512) + "\r\n");
            client.send("320\r\n" + "b".repeat(800) + "\r\n");
            RawResponse response = client.readResponse();

            assertProxyError(response, 413);
            assertThat(client.isClosedByPeer()).isTrue();
        }
        // The backend may have seen the start of the body, never a complete request.
        Optional<RecordedRequest> seen = backend.pollRequest(Duration.ofSeconds(2));
        seen.ifPresent(request -> assertThat(request.complete()).as("forwarded part: %s", request).isFalse());
    }

    @Test
    void routeOverrideAllowsABiggerBodyOnItsPathOnly() throws Exception {
        String body = "y".repeat(4096);
        try (RawHttpClient client = proxy.connect()) {
            client.send("POST /big/upload HTTP/1.1\r\nHost: a\r\nContent-Length: 4096\r\n\r\n" + body);
            RawResponse response = client.readResponse();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.header("X-Received-Bytes")).isEqualTo("4096");
        }
        try (RawHttpClient client = proxy.connect()) {
            client.send("POST /big/upload HTTP/1.1\r\nHost: a\r\nContent-Length: 8193\r\n\r\n");
            assertProxyError(client.readResponse(), 413);
        }
        try (RawHttpClient client = proxy.connect()) {
            client.send("POST /bigger HTTP/1.1\r\nHost: a\r\nContent-Length: 4096\r\n\r\n");
            assertProxyError(client.readResponse(), 413);
        }
        assertThat(backend.requests()).hasSize(1);
    }

    // ---- head size and time ------------------------------------------------------------

    @Test
    void headersOverTheLimitAre431() throws Exception {
        try (RawHttpClient client = proxy.connect()) {
            client.send("GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + "h".repeat(5 * 1024) + "\r\n\r\n");
            assertProxyError(client.readResponse(), 431);
            assertThat(client.isClosedByPeer()).isTrue();
        }
        assertThat(backend.pollRequest(NOTHING_FORWARDED)).isEmpty();
    }

    @Test
    void headersJustUnderTheLimitAreForwarded() throws Exception {
        RawResponse response = proxy.get("/", "X-Big: " + "h".repeat(3 * 1024));

        assertThat(response.status()).isEqualTo(200);
        assertThat(backend.takeRequest().header("X-Big")).hasSize(3 * 1024);
    }

    @Test
    void requestLineTooLongIs414() throws Exception {
        try (RawHttpClient client = proxy.connect()) {
            client.send("GET /" + "p".repeat(10 * 1024) + " HTTP/1.1\r\nHost: a\r\n\r\n");
            assertProxyError(client.readResponse(), 414);
            assertThat(client.isClosedByPeer()).isTrue();
        }
        assertThat(backend.pollRequest(NOTHING_FORWARDED)).isEmpty();
    }

    @Test
    void headNotCompleteWithinTheHeaderTimeoutIs408ThenClose() throws Exception {
        try (RawHttpClient client = proxy.connect()) {
            long start = System.nanoTime();
            client.send("GET / HTTP/1.1\r\nHost: a\r\nX-Slow: 1\r\n");
            RawResponse response = client.readTimeout(Duration.ofSeconds(5)).readResponse();
            Duration waited = Duration.ofNanos(System.nanoTime() - start);

            assertProxyError(response, 408);
            assertThat(waited).isBetween(Duration.ofMillis(400), Duration.ofSeconds(3));
            assertThat(client.isClosedByPeer()).isTrue();
        }
        assertThat(backend.pollRequest(NOTHING_FORWARDED)).isEmpty();
    }

    @Test
    void slowHeadOfALaterRequestOnAKeepAliveConnectionIs408() throws Exception {
        try (RawHttpClient client = proxy.connect()) {
            client.send("GET /first HTTP/1.1\r\nHost: a\r\n\r\n");
            assertThat(client.readResponse().status()).isEqualTo(200);

            long start = System.nanoTime();
            client.send("GET /second HTTP/1.1\r\nHost: a\r\n");
            RawResponse response = client.readTimeout(Duration.ofSeconds(5)).readResponse();
            Duration waited = Duration.ofNanos(System.nanoTime() - start);

            assertProxyError(response, 408);
            assertThat(waited).isBetween(Duration.ofMillis(400), Duration.ofSeconds(3));
            assertThat(client.isClosedByPeer()).isTrue();
        }
        assertThat(backend.requests()).extracting(RecordedRequest::uri).containsExactly("/first");
    }

    @Test
    void aConnectionThatNeverSendsIsClosed() throws Exception {
        try (RawHttpClient client = proxy.connect()) {
            long start = System.nanoTime();
            byte[] said = client.readTimeout(Duration.ofSeconds(5)).readUntilClosed();
            Duration waited = Duration.ofNanos(System.nanoTime() - start);

            assertThat(waited).isBetween(Duration.ofMillis(400), Duration.ofSeconds(3));
            // Closing silently and saying 408 first are both fine; anything else is not.
            String text = new String(said, StandardCharsets.ISO_8859_1);
            assertThat(text.isEmpty() || text.startsWith("HTTP/1.1 408 ")).as("before the close: %s", text).isTrue();
        }
        assertThat(backend.connectionsAccepted()).isZero();
    }

    // ---- malformed framing and targets -------------------------------------------------

    @Test
    void contentLengthAndTransferEncodingTogetherAre400AndNothingIsForwarded() throws Exception {
        try (RawHttpClient client = proxy.connect()) {
            client.send("POST /smuggle HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "0\r\n\r\n");
            assertProxyError(client.readResponse(), 400);
            assertThat(client.isClosedByPeer()).isTrue();
        }
        assertThat(backend.pollRequest(NOTHING_FORWARDED)).isEmpty();
        assertThat(backend.connectionsAccepted()).isZero();
    }

    @Test
    void differingDuplicateContentLengthsAre400() throws Exception {
        assertRejected("POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd");
    }

    @Test
    void badChunkSizeIs400() throws Exception {
        try (RawHttpClient client = proxy.connect()) {
            client.send("POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n");
            assertProxyError(client.readResponse(), 400);
            assertThat(client.isClosedByPeer()).isTrue();
        }
        Optional<RecordedRequest> seen = backend.pollRequest(NOTHING_FORWARDED);
        seen.ifPresent(request -> assertThat(request.complete()).as("forwarded part: %s", request).isFalse());
    }

    @Test
    void missingHostOnHttp11Is400() throws Exception {
        assertRejected("GET / HTTP/1.1\r\nX-No-Host: 1\r\n\r\n");
    }

    @Test
    void twoHostHeadersAre400() throws Exception {
        assertRejected("GET / HTTP/1.1\r\nHost: a.example.com\r\nHost: b.example.com\r\n\r\n");
    }

    @Test
    void absoluteFormTargetWhoseHostDiffersFromHostIs400() throws Exception {
        assertRejected("GET http://evil.example.com/x HTTP/1.1\r\nHost: app.example.com\r\n\r\n");
    }

    @Test
    void absoluteFormTargetMatchingHostIsForwardedInOriginForm() throws Exception {
        try (RawHttpClient client = proxy.connect()) {
            client.send("GET http://App.Example.com:8080/x/y?q=1 HTTP/1.1\r\nHost: app.example.com:8080\r\n\r\n");
            RawResponse response = client.readResponse();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.bodyText()).isEqualTo("ok app GET /x/y?q=1");
        }
        RecordedRequest seen = backend.takeRequest();
        assertThat(seen.uri()).isEqualTo("/x/y?q=1");
        // RFC 9112 3.2.2: the target's authority is the host; it agrees with Host here up to case.
        assertThat(seen.header("Host")).isEqualToIgnoringCase("app.example.com:8080");
    }

    @Test
    void http10WithTransferEncodingIs400() throws Exception {
        assertRejected("POST /up HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
    }

    // ---- helpers -----------------------------------------------------------------------

    /** Sends {@code raw}, expects the proxy's own 400, the connection closed and nothing forwarded. */
    private void assertRejected(String raw) throws Exception {
        try (RawHttpClient client = proxy.connect()) {
            client.send(raw);
            assertProxyError(client.readResponse(), 400);
            assertThat(client.isClosedByPeer()).as("connection closed after the 400").isTrue();
        }
        assertThat(backend.pollRequest(NOTHING_FORWARDED)).isEmpty();
    }

    /** The proxy's own error: the status, a short plain-text body and the site's response headers. */
    private static void assertProxyError(RawResponse response, int status) {
        assertThat(response.status()).as("%s", response).isEqualTo(status);
        assertThat(response.header("Content-Type")).startsWith("text/plain");
        assertThat(response.bodyText()).isNotBlank().hasSizeLessThan(200).startsWith(String.valueOf(status));
        assertThat(response.header("X-Site")).isEqualTo("yes");
    }
}
