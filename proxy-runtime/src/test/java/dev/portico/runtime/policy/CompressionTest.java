package dev.portico.runtime.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.aayushatharva.brotli4j.Brotli4jLoader;
import com.aayushatharva.brotli4j.decoder.BrotliInputStream;
import com.github.luben.zstd.ZstdInputStream;
import dev.portico.runtime.testing.RawHttpClient;
import dev.portico.runtime.testing.RawResponse;
import dev.portico.runtime.testing.RunningProxy;
import dev.portico.runtime.testing.TestBackend;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code compression: {enabled: true, minSize: 1Ki}} end to end, decoding what the client receives. */
@Timeout(60)
class CompressionTest {

    private static final String COMPRESSION = "compression: {enabled: true, minSize: 1Ki}";

    @TempDir
    Path dir;
    TestBackend backend;
    RunningProxy proxy;

    @BeforeEach
    void start() {
        backend = TestBackend.start("app");
        proxy = RunningProxy.start(dir, RunningProxy.siteFor(backend, COMPRESSION));
    }

    @AfterEach
    void stop() {
        proxy.close();
        backend.close();
    }

    @Test
    void htmlAboveMinSizeIsGzippedForAClientThatAcceptsIt() {
        RawResponse response = proxy.get("/__text?bytes=4000&type=text/html", "Accept-Encoding: gzip");

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.header("Content-Encoding")).isEqualTo("gzip");
        assertThat(response.headers("Vary")).anySatisfy(v -> assertThat(v).containsIgnoringCase("Accept-Encoding"));
        assertThat(response.body().length).isLessThan(4000);
        assertThat(gunzip(response.body())).isEqualTo(TestBackend.textBody(4000));
        if (response.hasHeader("Content-Length")) {
            assertThat(response.header("Content-Length")).isEqualTo(Integer.toString(response.body().length));
        }
        // The origin's identity length must not survive next to a gzip body.
        assertThat(response.header("Content-Length")).isNotEqualTo("4000");
    }

    @Test
    void exactlyMinSizeIsCompressedAndOneByteLessIsNot() {
        RawResponse atMin = proxy.get("/__text?bytes=1024&type=text/html", "Accept-Encoding: gzip");
        RawResponse below = proxy.get("/__text?bytes=1023&type=text/html", "Accept-Encoding: gzip");

        assertThat(atMin.header("Content-Encoding")).isEqualTo("gzip");
        assertThat(gunzip(atMin.body())).isEqualTo(TestBackend.textBody(1024));
        assertThat(below.hasHeader("Content-Encoding")).isFalse();
        assertThat(below.header("Content-Length")).isEqualTo("1023");
        assertThat(below.body()).isEqualTo(TestBackend.textBody(1023));
        assertThat(below.headers("Vary")).anySatisfy(v -> assertThat(v).containsIgnoringCase("Accept-Encoding"));
    }

    @Test
    void withoutAcceptEncodingTheBodyIsSentAsIsButStillVaries() {
        RawResponse response = proxy.get("/__text?bytes=4000&type=text/html");

        assertThat(response.hasHeader("Content-Encoding")).isFalse();
        assertThat(response.header("Content-Length")).isEqualTo("4000");
        assertThat(response.body()).isEqualTo(TestBackend.textBody(4000));
        assertThat(response.headers("Vary")).anySatisfy(v -> assertThat(v).containsIgnoringCase("Accept-Encoding"));
    }

    @Test
    void aClientRefusingGzipGetsIdentity() {
        RawResponse identity = proxy.get("/__text?bytes=4000&type=text/html", "Accept-Encoding: identity");
        RawResponse refused = proxy.get("/__text?bytes=4000&type=text/html", "Accept-Encoding: gzip;q=0");

        assertThat(identity.hasHeader("Content-Encoding")).isFalse();
        assertThat(identity.body()).isEqualTo(TestBackend.textBody(4000));
        assertThat(refused.hasHeader("Content-Encoding")).isFalse();
        assertThat(refused.body()).isEqualTo(TestBackend.textBody(4000));
    }

    @Test
    void incompressibleTypesAreLeftAlone() {
        RawResponse png = proxy.get("/__text?bytes=4000&type=image/png", "Accept-Encoding: gzip");
        RawResponse untyped = proxy.get("/__text?bytes=4000&type=application/octet-stream", "Accept-Encoding: gzip");

        assertThat(png.hasHeader("Content-Encoding")).isFalse();
        assertThat(png.header("Content-Length")).isEqualTo("4000");
        assertThat(png.body()).isEqualTo(TestBackend.textBody(4000));
        assertThat(untyped.hasHeader("Content-Encoding")).isFalse();
        assertThat(untyped.body()).isEqualTo(TestBackend.textBody(4000));
    }

    @Test
    void jsonAndTypesWithParametersAreCompressed() {
        RawResponse json = proxy.get("/__text?bytes=4000&type=application/json", "Accept-Encoding: gzip");
        RawResponse html = proxy.get("/__text?bytes=4000&type=" + "Text/HTML;%20charset=utf-8", "Accept-Encoding: gzip");

        assertThat(json.header("Content-Encoding")).isEqualTo("gzip");
        assertThat(gunzip(json.body())).isEqualTo(TestBackend.textBody(4000));
        assertThat(html.header("Content-Encoding")).isEqualTo("gzip");
        assertThat(gunzip(html.body())).isEqualTo(TestBackend.textBody(4000));
    }

    @Test
    void anAlreadyEncodedResponseIsNotEncodedAgain() {
        RawResponse response = proxy.get("/__text?bytes=4000&type=text/html&encoding=br", "Accept-Encoding: gzip, br");

        assertThat(response.headers("Content-Encoding")).containsExactly("br");
        assertThat(response.header("Content-Length")).isEqualTo("4000");
        assertThat(response.body()).isEqualTo(TestBackend.textBody(4000));
    }

    @Test
    void aStreamedChunkedResponseIsCompressedWhole() {
        RawResponse response = proxy.get("/__text?bytes=50000&type=text/plain&chunked=true", "Accept-Encoding: gzip");

        assertThat(response.header("Content-Encoding")).isEqualTo("gzip");
        assertThat(gunzip(response.body())).isEqualTo(TestBackend.textBody(50000));
    }

    @Test
    void compressedAndPlainResponsesShareAKeepAliveConnection() throws Exception {
        try (RawHttpClient client = proxy.connect()) {
            for (int i = 0; i < 3; i++) {
                client.send("GET /__text?bytes=3000&type=text/css HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\n\r\n"
                        + "GET /__text?bytes=3000&type=text/css HTTP/1.1\r\nHost: a\r\n\r\n"
                        + "GET /__text?bytes=3000&type=text/css&chunked=true HTTP/1.1\r\nHost: a\r\n"
                        + "Accept-Encoding: gzip\r\n\r\n");
                RawResponse gzipped = client.readResponse();
                RawResponse plain = client.readResponse();
                RawResponse chunked = client.readResponse();
                assertThat(gzipped.header("Content-Encoding")).isEqualTo("gzip");
                assertThat(gunzip(gzipped.body())).isEqualTo(TestBackend.textBody(3000));
                assertThat(plain.hasHeader("Content-Encoding")).isFalse();
                assertThat(plain.body()).isEqualTo(TestBackend.textBody(3000));
                assertThat(chunked.header("Content-Encoding")).isEqualTo("gzip");
                assertThat(gunzip(chunked.body())).isEqualTo(TestBackend.textBody(3000));
            }
        }
        assertThat(backend.connectionsAccepted()).isEqualTo(1);
    }

    @Test
    void serverSentEventsAreNeverCompressedAndStillStream() throws Exception {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", proxy.httpPort()), 5_000);
            socket.getOutputStream().write(("GET /__sse?events=3&intervalMs=200&hold=true HTTP/1.1\r\n"
                    + "Host: a\r\nAccept-Encoding: gzip\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            // The stream stays open: the first event must arrive on its own, long before any end.
            String seen = readUntil(socket, "data: event-1", 2_000);

            String head = seen.substring(0, seen.indexOf("\r\n\r\n")).toLowerCase();
            assertThat(head).startsWith("http/1.1 200").contains("content-type: text/event-stream");
            assertThat(head).doesNotContain("content-encoding");
        }
    }

    @Test
    void aBrowserAcceptingBrotliGetsBrotli() {
        RawResponse response = proxy.get("/__text?bytes=4000&type=text/html", "Accept-Encoding: gzip, deflate, br, zstd");

        assertThat(response.header("Content-Encoding")).isEqualTo("br");
        assertThat(response.headers("Vary")).anySatisfy(v -> assertThat(v).containsIgnoringCase("Accept-Encoding"));
        assertThat(response.body().length).isLessThan(4000);
        assertThat(unbrotli(response.body())).isEqualTo(TestBackend.textBody(4000));
    }

    @Test
    void aStreamedResponseIsBrotliCompressedWhole() {
        RawResponse response = proxy.get("/__text?bytes=50000&type=text/plain&chunked=true", "Accept-Encoding: br");

        assertThat(response.header("Content-Encoding")).isEqualTo("br");
        assertThat(unbrotli(response.body())).isEqualTo(TestBackend.textBody(50000));
    }

    @Test
    void zstdIsPreferredOverGzipAndStreams() {
        RawResponse whole = proxy.get("/__text?bytes=4000&type=application/json", "Accept-Encoding: gzip, zstd");
        RawResponse streamed = proxy.get("/__text?bytes=50000&type=text/plain&chunked=true", "Accept-Encoding: zstd");

        assertThat(whole.header("Content-Encoding")).isEqualTo("zstd");
        assertThat(unzstd(whole.body())).isEqualTo(TestBackend.textBody(4000));
        assertThat(streamed.header("Content-Encoding")).isEqualTo("zstd");
        assertThat(unzstd(streamed.body())).isEqualTo(TestBackend.textBody(50000));
    }

    @Test
    void aCodingTheClientRefusesIsNotChosen() {
        RawResponse response = proxy.get("/__text?bytes=4000&type=text/html", "Accept-Encoding: br;q=0, zstd;q=0, gzip");

        assertThat(response.header("Content-Encoding")).isEqualTo("gzip");
        assertThat(gunzip(response.body())).isEqualTo(TestBackend.textBody(4000));
    }

    @Test
    void varyIsAddedOnceAndKeepsWhatTheBackendSaid() {
        RawResponse already = proxy.get("/__headers?Vary=accept-encoding", "Accept-Encoding: gzip");
        RawResponse other = proxy.get("/__headers?Vary=Origin", "Accept-Encoding: gzip");

        assertThat(already.headers("Vary")).containsExactly("accept-encoding");
        assertThat(other.headers("Vary")).containsExactlyInAnyOrder("Origin", "accept-encoding");
    }

    @Test
    void aWebSocketThroughACompressingSitePassesUntouched() throws Exception {
        BlockingQueue<String> received = new LinkedBlockingQueue<>();
        WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder()
                .header("Accept-Encoding", "gzip, br")
                .buildAsync(URI.create("ws://127.0.0.1:" + proxy.httpPort() + "/chat"), new WebSocket.Listener() {
                    @Override
                    public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
                        received.add(data.toString());
                        socket.request(1);
                        return null;
                    }
                })
                .get(10, TimeUnit.SECONDS);
        try {
            String big = new String(TestBackend.textBody(5000), StandardCharsets.US_ASCII);
            ws.sendText(big, true).get(10, TimeUnit.SECONDS);
            assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo(big);
            ws.sendText("again", true).get(10, TimeUnit.SECONDS);
            assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo("again");
        } finally {
            ws.abort();
        }
    }

    @Test
    void compressionIsOffByDefault() {
        proxy.reconfigure(RunningProxy.siteFor(backend, ""));
        // Compression is chosen per connection; RunningProxy.get opens a new one.
        RawResponse response = proxy.get("/__text?bytes=4000&type=text/html", "Accept-Encoding: gzip");

        assertThat(response.hasHeader("Content-Encoding")).isFalse();
        assertThat(response.header("Content-Length")).isEqualTo("4000");
        assertThat(response.body()).isEqualTo(TestBackend.textBody(4000));
    }

    @Test
    void localErrorResponsesPassTheCompressorUnharmed() {
        proxy.reconfigure(RunningProxy.siteFor(backend, COMPRESSION + "\naccessControl: {deny: [\"127.0.0.0/8\"]}"));

        RawResponse response = proxy.get("/", "Accept-Encoding: gzip");

        assertThat(response.status()).isEqualTo(403);
    }

    static byte[] gunzip(byte[] compressed) {
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(compressed))) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("not a gzip body (" + compressed.length + " bytes)", e);
        }
    }

    static byte[] unbrotli(byte[] compressed) {
        Brotli4jLoader.ensureAvailability();
        try (InputStream in = new BrotliInputStream(new ByteArrayInputStream(compressed))) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("not a brotli body (" + compressed.length + " bytes)", e);
        }
    }

    static byte[] unzstd(byte[] compressed) {
        try (InputStream in = new ZstdInputStream(new ByteArrayInputStream(compressed))) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("not a zstd body (" + compressed.length + " bytes)", e);
        }
    }

    /** Reads raw bytes until {@code marker} shows up, failing after {@code timeoutMs}. */
    static String readUntil(Socket socket, String marker, long timeoutMs) throws IOException {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        byte[] buffer = new byte[4096];
        InputStream in = socket.getInputStream();
        while (!seen.toString(StandardCharsets.ISO_8859_1).contains(marker)) {
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                throw new AssertionError("no '" + marker + "' within " + timeoutMs + " ms; got: "
                        + seen.toString(StandardCharsets.ISO_8859_1));
            }
            socket.setSoTimeout((int) left);
            int n;
            try {
                n = in.read(buffer);
            } catch (SocketTimeoutException e) {
                continue;
            }
            if (n < 0) {
                throw new AssertionError("closed before '" + marker + "'; got: "
                        + seen.toString(StandardCharsets.ISO_8859_1));
            }
            seen.write(buffer, 0, n);
        }
        return seen.toString(StandardCharsets.ISO_8859_1);
    }
}
