package dev.portico.runtime.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portico.runtime.testing.RawHttpClient;
import dev.portico.runtime.testing.RawResponse;
import dev.portico.runtime.testing.RecordedRequest;
import dev.portico.runtime.testing.RunningProxy;
import dev.portico.runtime.testing.TestBackend;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The limits against slow clients, over real loopback sockets: a head dripped byte by byte
 * (slowloris), a request body that stalls (limits.requestBodyTimeout), and a client that stops
 * reading its download (limits.sendTimeout). Each must end with the client cut off and the
 * upstream side released, not with a connection held open on the client's terms.
 *
 * <p>The pauses in the clients below are the behaviour under test (a client that sends slowly),
 * not waits for the proxy; the outcomes are awaited.
 */
@Timeout(60)
class SlowClientsTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String UPSTREAM_OPEN = "portico_upstream_connections_open";

    @TempDir
    Path dir;
    TestBackend backend;
    RunningProxy proxy;

    @BeforeEach
    void start() {
        backend = TestBackend.start("app");
        proxy = RunningProxy.start(dir, RunningProxy.siteFor(backend, """
                limits: {requestHeaderTimeout: 1s, requestBodyTimeout: 500ms, sendTimeout: 1s}
                headers: {response: {set: {X-Site: "yes"}}}"""));
    }

    @AfterEach
    void stop() {
        proxy.close();
        backend.close();
    }

    // ---- head: slowloris ---------------------------------------------------------------

    @Test
    void aHeadDrippedByteByByteGets408AtTheHeaderTimeoutNotAtItsEnd() throws Exception {
        try (RawHttpClient client = proxy.connect()) {
            // 40 header lines at one every 100 ms would take 4 s; the deadline is 1 s for the whole head.
            CompletableFuture<Void> drip = CompletableFuture.runAsync(() -> drip(client,
                    "GET / HTTP/1.1\r\nHost: a\r\n", "X-Slow: 1\r\n", 40, 100));
            long start = System.nanoTime();
            RawResponse response = client.readTimeout(Duration.ofSeconds(5)).readResponse();
            Duration waited = Duration.ofNanos(System.nanoTime() - start);

            assertThat(response.status()).isEqualTo(408);
            assertThat(response.header("X-Site")).isEqualTo("yes");
            assertThat(waited).as("answered while the client was still dripping").isLessThan(Duration.ofMillis(3500));
            assertThat(client.isClosedByPeer()).isTrue();
            drip.get(10, TimeUnit.SECONDS);
        }
        assertThat(backend.connectionsAccepted()).isZero();
    }

    // ---- request body ------------------------------------------------------------------

    @Test
    void aBodyThatStallsGets408AndTheBackendSeesTheRequestAborted() throws Exception {
        try (RawHttpClient client = proxy.connect()) {
            client.send("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n" + "x".repeat(10));
            RawResponse response = client.readTimeout(Duration.ofSeconds(5)).readResponse();

            assertThat(response.status()).isEqualTo(408);
            assertThat(response.header("Connection")).isEqualToIgnoringCase("close");
            assertThat(response.header("X-Site")).isEqualTo("yes");
            assertThat(client.isClosedByPeer(Duration.ofSeconds(7))).isTrue();
        }
        RecordedRequest seen = backend.takeRequest();
        assertThat(seen.uri()).isEqualTo("/upload");
        assertThat(seen.complete()).as("the backend saw the upload cut off").isFalse();
        assertThat(seen.bodyLength()).isEqualTo(10);
        await().atMost(WAIT).until(() -> backend.openConnections() == 0);
        assertThat(proxy.metric(UPSTREAM_OPEN)).isZero();
    }

    @Test
    void aBodyThatKeepsFlowingIsNotCutHoweverLongItTakes() throws Exception {
        try (RawHttpClient client = proxy.connect()) {
            // 10 pieces 200 ms apart: 2 s in all, four times the timeout, but never a 500 ms pause.
            client.send("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n");
            drip(client, "", "y".repeat(10), 10, 200);
            RawResponse response = client.readResponse();

            assertThat(response.status()).isEqualTo(200);
            assertThat(response.header("X-Received-Bytes")).isEqualTo("100");
        }
    }

    @Test
    void aChunkedBodyThatStallsBetweenChunksGets408() throws Exception {
        try (RawHttpClient client = proxy.connect()) {
            client.send("POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
            RawResponse response = client.readTimeout(Duration.ofSeconds(5)).readResponse();

            assertThat(response.status()).isEqualTo(408);
        }
        assertThat(backend.takeRequest().complete()).isFalse();
    }

    // ---- response: a client that does not read -----------------------------------------

    @Test
    void aClientThatStopsReadingADownloadIsCutOffAndTheUpstreamConnectionClosed() throws Exception {
        long size = 256L * 1024 * 1024;
        try (RawHttpClient client = RawHttpClient.connectWithReceiveBuffer(proxy.httpPort(), 4096)) {
            client.send("GET /__download?bytes=" + size + " HTTP/1.1\r\nHost: a\r\n\r\n");
            // Read nothing: the kernel buffers fill, then the proxy's, then the backend is paused.
            await().atMost(WAIT).until(() -> proxy.metric(UPSTREAM_OPEN) == 1.0);

            await().atMost(WAIT).until(() -> proxy.metric("portico_connections_open") == 0.0);
            await().atMost(WAIT).until(() -> backend.openConnections() == 0);
            assertThat(proxy.metric(UPSTREAM_OPEN)).as("the upstream connection is closed, not pooled or leaked")
                    .isZero();
            assertThat(proxy.metric("portico_upstream_connections_idle")).isZero();
            assertThat(backend.downloadBytesWritten()).isLessThan(size / 2);

            // What the kernel held is still there to read, then the end.
            byte[] rest = client.readTimeout(WAIT).readUntilClosedOrReset();
            assertThat((long) rest.length).isLessThan(size);
        }
        // The runtime still serves, on a new upstream connection.
        assertThat(proxy.get("/after").status()).isEqualTo(200);
    }

    @Test
    void aSlowButSteadyReaderGetsTheWholeDownload() throws Exception {
        int size = 768 * 1024;
        try (RawHttpClient client = RawHttpClient.connectWithReceiveBuffer(proxy.httpPort(), 4096)) {
            client.send("GET /__download?bytes=" + size + " HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
            // 32 KiB every 150 ms: slower than the proxy can send, never stalled for the 1 s send timeout.
            byte[] all = client.readSlowly(32 * 1024, Duration.ofMillis(150));

            String text = new String(all, 0, Math.min(all.length, 200), StandardCharsets.ISO_8859_1);
            assertThat(text).startsWith("HTTP/1.1 200 ");
            assertThat(all.length).as("head plus the whole body").isGreaterThan(size);
        }
    }

    private static void drip(RawHttpClient client, String first, String piece, int times, long gapMillis) {
        try {
            if (!first.isEmpty()) {
                client.send(first);
            }
            for (int i = 0; i < times; i++) {
                Thread.sleep(gapMillis);
                client.send(piece);
            }
        } catch (IOException e) {
            // The proxy closed the connection while the client was still sending: expected for a slowloris.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
