package dev.portico.runtime.testing;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The streaming endpoints of {@link TestBackend}: chunks, downloads, server-sent events. */
@Timeout(60)
class TestBackendStreamingTest {

    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private TestBackend backend;

    @BeforeEach
    void start() {
        backend = TestBackend.start();
    }

    @AfterEach
    void stop() {
        backend.close();
    }

    @Test
    void chunksEndpointSendsAChunkedBody() throws Exception {
        try (RawHttpClient client = RawHttpClient.connect(backend.port())) {
            RawResponse response = client
                    .send("GET /__chunks?count=3&size=4 HTTP/1.1\r\nHost: x\r\n\r\n")
                    .readResponse();

            assertThat(response.status()).isEqualTo(200);
            assertThat(response.header("Transfer-Encoding")).isEqualTo("chunked");
            assertThat(response.hasHeader("Content-Length")).isFalse();
            assertThat(response.bodyText()).isEqualTo("aaaabbbbcccc");
        }
    }

    @Test
    void delayedChunksArriveOneByOne() throws Exception {
        HttpResponse<InputStream> response = http.send(request("/__chunks?count=3&size=5&delayMs=300").build(),
                HttpResponse.BodyHandlers.ofInputStream());

        try (InputStream body = response.body()) {
            byte[] first = body.readNBytes(5);
            long firstAt = System.nanoTime();
            byte[] rest = body.readAllBytes();
            long endAt = System.nanoTime();

            assertThat(new String(first, StandardCharsets.US_ASCII)).isEqualTo("aaaaa");
            assertThat(new String(rest, StandardCharsets.US_ASCII)).isEqualTo("bbbbbccccc");
            // Two intervals separate the first chunk from the end of the body: it was not sent all at once.
            assertThat(Duration.ofNanos(endAt - firstAt)).isGreaterThanOrEqualTo(Duration.ofMillis(550));
        }
    }

    @Test
    void downloadMatchesThePublishedDigest() throws Exception {
        long size = 64L * 1024 * 1024 + 123;   // not a multiple of the write size on purpose

        HttpResponse<InputStream> response = http.send(request("/__download?bytes=" + size).build(),
                HttpResponse.BodyHandlers.ofInputStream());

        assertThat(response.headers().firstValueAsLong("Content-Length")).hasValue(size);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/octet-stream");
        MessageDigest sha = BodyDigest.newSha256();
        long received = 0;
        byte[] buffer = new byte[256 * 1024];
        try (InputStream body = response.body()) {
            for (int n; (n = body.read(buffer)) != -1; ) {
                sha.update(buffer, 0, n);
                received += n;
            }
        }
        assertThat(received).isEqualTo(size);
        assertThat(HexFormat.of().formatHex(sha.digest())).isEqualTo(TestBackend.downloadSha256(size));
    }

    @Test
    void downloadPatternIsTheDocumentedOne() throws Exception {
        try (RawHttpClient client = RawHttpClient.connect(backend.port())) {
            byte[] body = client.send("GET /__download?bytes=600 HTTP/1.1\r\nHost: x\r\n\r\n").readResponse().body();

            assertThat(body).hasSize(600);
            for (int i = 0; i < body.length; i++) {
                assertThat(body[i]).as("byte %d", i).isEqualTo((byte) ((i * 31 + 7) & 0xFF));
            }
            assertThat(TestBackend.downloadSha256(600)).isEqualTo(TestBackendTest.sha256(body));
        }
    }

    @Test
    void downloadAndKeepAliveContinueAfterAPausedReader() throws Exception {
        // The reader stalls long enough for the backend to hit its write buffer limit and wait for writability.
        try (RawHttpClient client = RawHttpClient.connect(backend.port())) {
            client.send("GET /__download?bytes=8388608 HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET /after HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(client.isClosedByPeer(Duration.ofMillis(300))).isFalse();

            RawResponse download = client.readResponse();
            RawResponse after = client.readResponse();

            assertThat(TestBackendTest.sha256(download.body())).isEqualTo(TestBackend.downloadSha256(8388608));
            assertThat(after.bodyText()).isEqualTo("ok backend GET /after");
        }
    }

    @Test
    void sseSendsEventsThenEnds() throws Exception {
        HttpResponse<String> response = http.send(request("/__sse?events=3&intervalMs=20").build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(response.headers().firstValue("Content-Type")).hasValue("text/event-stream");
        assertThat(response.headers().firstValue("Cache-Control")).hasValue("no-cache");
        assertThat(response.headers().firstValue("Transfer-Encoding")).hasValue("chunked");
        assertThat(response.body()).isEqualTo(
                "id: 1\ndata: event-1\n\nid: 2\ndata: event-2\n\nid: 3\ndata: event-3\n\n");
    }

    @Test
    void sseWithHoldKeepsTheStreamOpenUntilTheClientLeaves() throws Exception {
        ExecutorService reader = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "sse-reader");
            t.setDaemon(true);
            return t;
        });
        try {
            HttpResponse<InputStream> response = http.send(
                    request("/__sse?events=2&intervalMs=10&hold=true").build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            InputStream body = response.body();
            BufferedReader lines = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));

            List<String> firstSix = lines.lines().limit(6).collect(Collectors.toList());
            assertThat(firstSix).containsExactly("id: 1", "data: event-1", "", "id: 2", "data: event-2", "");

            CompletableFuture<String> next = CompletableFuture.supplyAsync(() -> readLine(lines), reader);
            // Absence of an end can only be shown by waiting a little: neither more data nor EOF arrives.
            assertThat(next).failsWithin(Duration.ofMillis(300))
                    .withThrowableOfType(java.util.concurrent.TimeoutException.class);
            assertThat(backend.openConnections()).isEqualTo(1);

            body.close();
            await().atMost(Duration.ofSeconds(5)).until(() -> backend.openConnections() == 0);
        } finally {
            reader.shutdownNow();
            reader.awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static String readLine(BufferedReader reader) {
        try {
            return reader.readLine();
        } catch (java.io.IOException e) {
            return "<closed: " + e + ">";
        }
    }

    private HttpRequest.Builder request(String pathAndQuery) {
        return HttpRequest.newBuilder(URI.create(backend.baseUrl() + pathAndQuery)).timeout(Duration.ofSeconds(30));
    }
}
