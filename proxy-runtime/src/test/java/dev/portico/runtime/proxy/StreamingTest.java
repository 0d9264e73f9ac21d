package dev.portico.runtime.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portico.runtime.testing.RawHttpClient;
import dev.portico.runtime.testing.RawResponse;
import dev.portico.runtime.testing.RecordedRequest;
import dev.portico.runtime.testing.RunningProxy;
import dev.portico.runtime.testing.TestBackend;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Request and response bodies stream through the proxy, in both directions, with backpressure. */
@Timeout(90)
class StreamingTest {

    private static final int MIB = 1024 * 1024;

    @TempDir
    Path dir;
    TestBackend backend;
    RunningProxy proxy;
    final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

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
    void chunkedUploadReachesTheBackendChunkedAndIntact() throws Exception {
        byte[] body = randomBytes(300_000, 1);
        try (RawHttpClient client = proxy.connect()) {
            client.send("POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
            for (int offset = 0; offset < body.length; offset += 70_000) {
                int length = Math.min(70_000, body.length - offset);
                client.send(Integer.toHexString(length) + "\r\n");
                client.send(Arrays.copyOfRange(body, offset, offset + length));
                client.send("\r\n");
            }
            client.send("0\r\n\r\n");
            RawResponse response = client.readResponse();

            assertThat(response.status()).isEqualTo(200);
            assertThat(response.header("X-Received-Sha256")).isEqualTo(sha256(body));
        }
        RecordedRequest seen = backend.takeRequest();
        assertThat(seen.chunked()).isTrue();
        assertThat(seen.complete()).isTrue();
        assertThat(seen.bodyLength()).isEqualTo(body.length);
        assertThat(seen.bodySha256()).isEqualTo(sha256(body));
    }

    @Test
    void contentLengthUploadReachesTheBackendIntact() throws Exception {
        byte[] body = randomBytes(3 * MIB, 2);
        try (RawHttpClient client = proxy.connect()) {
            client.send("PUT /up HTTP/1.1\r\nHost: a\r\nContent-Length: " + body.length + "\r\n\r\n");
            client.send(body);
            RawResponse response = client.readResponse();

            assertThat(response.status()).isEqualTo(200);
            assertThat(response.header("X-Received-Bytes")).isEqualTo(String.valueOf(body.length));
        }
        RecordedRequest seen = backend.takeRequest();
        assertThat(seen.chunked()).isFalse();
        assertThat(seen.header("Content-Length")).isEqualTo(String.valueOf(body.length));
        assertThat(seen.bodyLength()).isEqualTo(body.length);
        assertThat(seen.bodySha256()).isEqualTo(sha256(body));
    }

    @Test
    void uploadStreamsToTheBackendBeforeTheClientHasFinishedSending() throws Exception {
        byte[] body = randomBytes(2 * MIB, 3);
        int half = body.length / 2;
        try (RawHttpClient client = proxy.connect()) {
            client.send("POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: " + body.length + "\r\n\r\n");
            client.send(Arrays.copyOfRange(body, 0, half));

            // The second half is not sent yet: a proxy that buffered the body would show the backend nothing.
            await().atMost(Duration.ofSeconds(10))
                    .until(backend::requestBodyBytesReceived, received -> received == half);
            assertThat(backend.requests()).isEmpty();

            client.send(Arrays.copyOfRange(body, half, body.length));
            assertThat(client.readResponse().status()).isEqualTo(200);
        }
        RecordedRequest seen = backend.takeRequest();
        assertThat(seen.bodySha256()).isEqualTo(sha256(body));
    }

    @Test
    void clientLeavingMidUploadAbortsTheUpstreamRequest() throws Exception {
        byte[] body = randomBytes(1 * MIB, 4);
        int part = 300_000;
        try (RawHttpClient client = proxy.connect()) {
            client.send("POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: " + body.length + "\r\n\r\n");
            client.send(Arrays.copyOfRange(body, 0, part));
            await().atMost(Duration.ofSeconds(10))
                    .until(backend::requestBodyBytesReceived, received -> received == part);
        }

        RecordedRequest seen = backend.takeRequest();
        assertThat(seen.complete()).as("the backend must see the upload end early, %s", seen).isFalse();
        assertThat(seen.bodyLength()).isEqualTo(part);
        await().atMost(Duration.ofSeconds(5)).until(backend::openConnections, open -> open == 0);
    }

    @Test
    void clientLeavingMidDownloadClosesTheUpstreamConnection() throws Exception {
        try (RawHttpClient client = proxy.connect()) {
            client.send("GET /__download?bytes=" + (256L * MIB) + " HTTP/1.1\r\nHost: a\r\n\r\n");
            await().atMost(Duration.ofSeconds(10)).until(backend::downloadBytesWritten, written -> written > 0);
        }

        // An upstream connection with an unfinished response cannot go back to the pool: it must be closed.
        await().atMost(Duration.ofSeconds(5)).until(backend::openConnections, open -> open == 0);
        assertThat(backend.downloadBytesWritten()).isLessThan(256L * MIB);
    }

    @Test
    void expectContinueIsAnsweredByTheProxyBeforeTheBodyIsSent() throws Exception {
        byte[] body = "the body after 100".getBytes(StandardCharsets.US_ASCII);
        try (RawHttpClient client = proxy.connect()) {
            client.send("POST /expect HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: "
                    + body.length + "\r\n\r\n");

            RawResponse interim = client.readTimeout(Duration.ofSeconds(5)).readInterimOrFinal();
            assertThat(interim.status()).isEqualTo(100);
            assertThat(backend.requests()).isEmpty();

            client.send(body);
            RawResponse response = client.readInterimOrFinal();
            assertThat(response.status()).as("the final answer, with no second 100").isEqualTo(200);
            assertThat(response.header("X-Received-Bytes")).isEqualTo(String.valueOf(body.length));
        }
        RecordedRequest seen = backend.takeRequest();
        assertThat(seen.hasHeader("Expect")).as("the proxy answered the expectation itself").isFalse();
        assertThat(seen.bodyPrefixText()).isEqualTo("the body after 100");
    }

    @Test
    void firstServerSentEventArrivesWhileTheUpstreamHoldsTheStreamOpen() throws Exception {
        HttpResponse<InputStream> response = http.send(
                request("/__sse?events=1&hold=true").timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream body = response.body()) {
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                    type -> assertThat(type).startsWith("text/event-stream"));
            assertThat(response.headers().firstValue("Content-Encoding")).isEmpty();

            // The stream never ends (hold=true): the event must come on its own, not with a completion.
            String event = readWithin(body, "id: 1\ndata: event-1\n\n".length(), Duration.ofSeconds(3));
            assertThat(event).isEqualTo("id: 1\ndata: event-1\n\n");
        }
    }

    @Test
    void serverSentEventsAreFlushedOneByOneNotBatched() throws Exception {
        HttpResponse<InputStream> response = http.send(request("/__sse?events=3&intervalMs=600").build(),
                HttpResponse.BodyHandlers.ofInputStream());
        String first = "id: 1\ndata: event-1\n\n";
        String second = "id: 2\ndata: event-2\n\n";
        try (InputStream body = response.body()) {
            assertThat(readWithin(body, first.length(), Duration.ofSeconds(3))).isEqualTo(first);
            long firstAt = System.nanoTime();
            assertThat(readWithin(body, second.length(), Duration.ofSeconds(3))).isEqualTo(second);
            long secondAt = System.nanoTime();
            // The backend sends event 2 600 ms after event 1: had the proxy held event 1 back until more data
            // came, both would arrive together.
            assertThat(Duration.ofNanos(secondAt - firstAt)).isGreaterThan(Duration.ofMillis(400));
            assertThat(new String(body.readAllBytes(), StandardCharsets.UTF_8))
                    .isEqualTo("id: 3\ndata: event-3\n\n");
        }
    }

    @Test
    void aStreamingResponseIsCutWhenTheBackendIsSilentForTheRoutesIdleTimeAndNotWhileItTalks() throws Exception {
        proxy.reconfigure("""
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: test, generation: 2}
                spec:
                  hosts: ["*"]
                  routes:
                    - match: {path: {value: /}}
                      backend: {service: 127.0.0.1, port: %d}
                      timeouts: {idle: 1s}
                """.formatted(backend.port()));

        // Four events 600 ms apart take longer than the idle time, but each one restarts it.
        try (RawHttpClient client = proxy.connect()) {
            client.send("GET /__sse?events=4&intervalMs=600 HTTP/1.1\r\nHost: a\r\n\r\n");
            RawResponse response = client.readResponse();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.bodyText()).contains("data: event-4");
        }
        // One event, then silence: the proxy cuts the response after the idle time.
        try (RawHttpClient client = proxy.connect()) {
            long start = System.nanoTime();
            client.send("GET /__sse?events=1&hold=true HTTP/1.1\r\nHost: a\r\n\r\n");
            String received = new String(client.readUntilClosedOrReset(), StandardCharsets.UTF_8);
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(received).contains("data: event-1");
            assertThat(took).isBetween(Duration.ofMillis(900), Duration.ofSeconds(8));
        }
    }

    @Test
    void chunkedDownloadArrivesIntact() throws Exception {
        try (RawHttpClient client = proxy.connect()) {
            client.send("GET /__chunks?count=30&size=1000&delayMs=5 HTTP/1.1\r\nHost: a\r\n\r\n");
            RawResponse response = client.readResponse();

            assertThat(response.status()).isEqualTo(200);
            assertThat(response.header("Transfer-Encoding")).isEqualTo("chunked");
            StringBuilder expected = new StringBuilder();
            for (int i = 0; i < 30; i++) {
                expected.append(String.valueOf((char) ('a' + i % 26)).repeat(1000));
            }
            assertThat(response.bodyText()).isEqualTo(expected.toString());

            client.send("GET /after HTTP/1.1\r\nHost: a\r\n\r\n");
            assertThat(client.readResponse().bodyText()).isEqualTo("ok app GET /after");
        }
    }

    @Test
    void largeDownloadArrivesIntact() throws Exception {
        long size = 64L * MIB;
        HttpResponse<InputStream> response = http.send(request("/__download?bytes=" + size).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValueAsLong("Content-Length")).hasValue(size);
        try (InputStream body = response.body()) {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            long read = digest(body, sha);
            assertThat(read).isEqualTo(size);
            assertThat(HexFormat.of().formatHex(sha.digest())).isEqualTo(TestBackend.downloadSha256(size));
        }
    }

    @Test
    void aClientThatDoesNotReadHoldsTheBackendBackInsteadOfBeingBufferedFor() throws Exception {
        long size = 64L * MIB;
        try (Socket socket = new Socket()) {
            // A small window on our side: the stall has to be absorbed by the proxy, or push back on the backend.
            socket.setReceiveBufferSize(64 * 1024);
            socket.connect(new InetSocketAddress("127.0.0.1", proxy.httpPort()), 5_000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET /__download?bytes=" + size + " HTTP/1.1\r\nHost: a\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();

            await().atMost(Duration.ofSeconds(10)).until(backend::downloadBytesWritten, written -> written > 0);
            // Not a synchronisation sleep: two seconds of a client not reading is the condition under test.
            Thread.sleep(2_000);
            long writtenWhileStalled = backend.downloadBytesWritten();

            // Loopback moves gigabytes a second: a proxy buffering the body would have let the backend finish long
            // ago. Socket buffers on the path (each a few MiB at most) are all that may fill.
            assertThat(writtenWhileStalled)
                    .as("bytes the backend could write while the client read nothing for 2 s")
                    .isLessThan(size);

            socket.setSoTimeout(30_000);
            InputStream in = socket.getInputStream();
            skipHead(in);
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            long read = digest(new BoundedInputStream(in, size), sha);
            assertThat(read).isEqualTo(size);
            assertThat(HexFormat.of().formatHex(sha.digest())).isEqualTo(TestBackend.downloadSha256(size));
            assertThat(backend.downloadBytesWritten()).isEqualTo(size);
        }
    }

    // ---- helpers -----------------------------------------------------------------------

    private HttpRequest.Builder request(String target) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.httpPort() + target));
    }

    private static byte[] randomBytes(int n, long seed) {
        byte[] bytes = new byte[n];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    private static long digest(InputStream in, MessageDigest sha) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        long total = 0;
        for (int n; (n = in.read(buffer)) != -1; ) {
            sha.update(buffer, 0, n);
            total += n;
        }
        return total;
    }

    /** Exactly {@code n} bytes from {@code in}, failing the test if they do not come within {@code within}. */
    private static String readWithin(InputStream in, int n, Duration within) throws Exception {
        var reader = CompletableFuture.supplyAsync(() -> {
            try {
                return in.readNBytes(n);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        byte[] bytes = reader.get(within.toMillis(), TimeUnit.MILLISECONDS);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** Reads a response head up to its blank line and checks it is a 200 with a Content-Length. */
    private static void skipHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b == -1) {
                throw new IOException("closed in the response head: " + head);
            }
            head.write(b);
        }
        String text = head.toString(StandardCharsets.ISO_8859_1);
        assertThat(text).startsWith("HTTP/1.1 200").containsIgnoringCase("content-length:");
    }

    private static final class BoundedInputStream extends InputStream {
        private final InputStream in;
        private long remaining;

        BoundedInputStream(InputStream in, long limit) {
            this.in = in;
            this.remaining = limit;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) == -1 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (remaining == 0) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, remaining));
            if (n > 0) {
                remaining -= n;
            }
            return n;
        }
    }
}
