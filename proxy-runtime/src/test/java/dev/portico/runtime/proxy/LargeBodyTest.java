package dev.portico.runtime.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portico.runtime.testing.RawHttpClient;
import dev.portico.runtime.testing.RawResponse;
import dev.portico.runtime.testing.RecordedRequest;
import dev.portico.runtime.testing.RunningProxy;
import dev.portico.runtime.testing.RuntimeProcess;
import dev.portico.runtime.testing.SiteFiles;
import dev.portico.runtime.testing.TestBackend;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * API.md, Streaming: "nothing is buffered whole ... memory does not grow with body size".
 * A gibibyte each way through a runtime whose heap is capped at 64 MiB (its own JVM, so
 * the cap is real); the bytes are generated and hashed on the fly at both ends.
 */
class LargeBodyTest {

    private static final long GIB = 1L << 30;
    private static final int BLOCK = 64 * 1024;
    private static final Duration BUDGET = Duration.ofSeconds(120);

    @TempDir
    Path dir;
    TestBackend backend;
    RuntimeProcess runtime;
    Path siteFile;

    @BeforeEach
    void start() {
        backend = TestBackend.start("big");
        siteFile = SiteFiles.write(dir, RunningProxy.siteFor(backend, "limits: {maxRequestBodySize: 2Gi}"));
        runtime = RuntimeProcess.start(siteFile, List.of("-Xmx64m"));
    }

    @AfterEach
    void stop() {
        runtime.close();
        backend.close();
    }

    @Test
    void aGibibyteUploadReachesTheBackendIntact() throws Exception {
        MessageDigest sent = sha256();
        byte[] block = new byte[BLOCK];
        new Random(7).nextBytes(block);
        long started = System.nanoTime();
        RawResponse response;
        try (RawHttpClient client = RawHttpClient.connect(runtime.httpPort())) {
            client.readTimeout(BUDGET);
            client.send("POST /upload HTTP/1.1\r\nHost: big.example\r\nContent-Type: application/octet-stream\r\n"
                    + "Content-Length: " + GIB + "\r\n\r\n");
            for (long offset = 0; offset < GIB; offset += BLOCK) {
                // Each block carries its own index, so a lost, repeated or reordered block changes the digest.
                long index = offset / BLOCK;
                for (int i = 0; i < 8; i++) {
                    block[i] = (byte) (index >>> (8 * i));
                }
                sent.update(block);
                client.send(block);
            }
            response = client.readResponse();
        }
        String expected = HexFormat.of().formatHex(sent.digest());
        long elapsedMs = (System.nanoTime() - started) / 1_000_000;
        System.out.printf(Locale.ROOT, "1 GiB upload through a -Xmx64m runtime: %d ms%n", elapsedMs);

        assertThat(response.status()).as(response.bodyText()).isEqualTo(200);
        assertThat(response.header("X-Received-Bytes")).isEqualTo(Long.toString(GIB));
        assertThat(response.header("X-Received-Sha256")).isEqualTo(expected);
        RecordedRequest seen = backend.takeRequest();
        assertThat(seen.bodyLength()).isEqualTo(GIB);
        assertThat(seen.bodySha256()).isEqualTo(expected);
        assertThat(seen.complete()).isTrue();
        assertThat(seen.header("Content-Length")).isEqualTo(Long.toString(GIB));
        assertThat(runtime.isAlive()).isTrue();
        assertThat(runtime.stderrText()).doesNotContain("OutOfMemoryError");
    }

    @Test
    void aGibibyteDownloadReachesTheClientIntact() throws Exception {
        long started = System.nanoTime();
        String received;
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", runtime.httpPort()), 5_000);
            socket.setSoTimeout((int) Duration.ofSeconds(30).toMillis());
            socket.getOutputStream().write(("GET /__download?bytes=" + GIB + " HTTP/1.1\r\nHost: big.example\r\n"
                    + "Connection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = new BufferedInputStream(socket.getInputStream(), BLOCK);
            String head = readHead(in);
            assertThat(head).startsWith("HTTP/1.1 200 ");
            assertThat(head.toLowerCase(Locale.ROOT)).contains("\r\ncontent-length: " + GIB + "\r\n");

            MessageDigest digest = sha256();
            byte[] buffer = new byte[BLOCK];
            long total = 0;
            boolean paused = false;
            for (int n; total < GIB && (n = in.read(buffer, 0, (int) Math.min(BLOCK, GIB - total))) > 0; ) {
                digest.update(buffer, 0, n);
                total += n;
                if (!paused && total >= 16 * 1024 * 1024) {
                    // A stalled reader, not synchronisation: for 2 s the backend could push hundreds of
                    // MiB, which a proxy without backpressure would have to hold in its 64 MiB.
                    paused = true;
                    Thread.sleep(2_000);
                }
            }
            assertThat(total).isEqualTo(GIB);
            assertThat(in.read()).as("nothing after the announced length").isEqualTo(-1);
            received = HexFormat.of().formatHex(digest.digest());
        }
        long elapsedMs = (System.nanoTime() - started) / 1_000_000;
        System.out.printf(Locale.ROOT, "1 GiB download through a -Xmx64m runtime: %d ms%n", elapsedMs);

        assertThat(received).isEqualTo(TestBackend.downloadSha256(GIB));
        assertThat(runtime.isAlive()).isTrue();
        assertThat(runtime.stderrText()).doesNotContain("OutOfMemoryError");
    }

    @Test
    void aStalledBackendSlowsTheUploadingClient() throws Exception {
        long size = 256L * 1024 * 1024;
        long stallAt = 16L * 1024 * 1024;
        AtomicLong clientSent = new AtomicLong();
        AtomicLong clientAheadAfterStall = new AtomicLong(-1);
        CompletableFuture<String> backendDigest = new CompletableFuture<>();
        try (ServerSocket slow = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread backendThread = new Thread(() -> {
                try (Socket socket = slow.accept()) {
                    InputStream in = new BufferedInputStream(socket.getInputStream(), BLOCK);
                    String head = readHead(in);
                    Matcher length = Pattern.compile("(?im)^content-length:\\s*(\\d+)").matcher(head);
                    long expected = length.find() ? Long.parseLong(length.group(1)) : -1;
                    MessageDigest digest = sha256();
                    byte[] buffer = new byte[BLOCK];
                    long received = 0;
                    boolean stalled = false;
                    for (int n; received < expected
                            && (n = in.read(buffer, 0, (int) Math.min(BLOCK, expected - received))) > 0; ) {
                        digest.update(buffer, 0, n);
                        received += n;
                        if (!stalled && received >= stallAt) {
                            // The backend stops reading for 2 s (the condition under test, not synchronisation).
                            stalled = true;
                            Thread.sleep(2_000);
                            clientAheadAfterStall.set(clientSent.get() - received);
                        }
                    }
                    String hex = HexFormat.of().formatHex(digest.digest());
                    socket.getOutputStream().write(("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Received-Bytes: "
                            + received + "\r\nX-Received-Sha256: " + hex + "\r\n\r\n")
                            .getBytes(StandardCharsets.ISO_8859_1));
                    socket.getOutputStream().flush();
                    backendDigest.complete(hex);
                } catch (Exception e) {
                    backendDigest.completeExceptionally(e);
                }
            }, "stalling-backend");
            backendThread.setDaemon(true);
            backendThread.start();
            SiteFiles.overwrite(siteFile, """
                    apiVersion: portico.dev/v1alpha1
                    kind: ProxySite
                    metadata: {name: test, generation: 2}
                    spec:
                      hosts: ["*"]
                      limits: {maxRequestBodySize: 2Gi}
                      routes:
                        - match: {path: {value: /}}
                          backend: {service: 127.0.0.1, port: %d}
                    """.formatted(slow.getLocalPort()));
            awaitGeneration(2);

            MessageDigest sent = sha256();
            byte[] block = new byte[BLOCK];
            new Random(11).nextBytes(block);
            RawResponse response;
            try (RawHttpClient client = RawHttpClient.connect(runtime.httpPort())) {
                client.readTimeout(BUDGET);
                client.send("PUT /stall HTTP/1.1\r\nHost: a\r\nContent-Length: " + size + "\r\n\r\n");
                for (long offset = 0; offset < size; offset += BLOCK) {
                    long index = offset / BLOCK;
                    for (int i = 0; i < 8; i++) {
                        block[i] = (byte) (index >>> (8 * i));
                    }
                    sent.update(block);
                    client.send(block);
                    clientSent.addAndGet(BLOCK);
                }
                response = client.readResponse();
            }
            String expected = HexFormat.of().formatHex(sent.digest());
            assertThat(backendDigest.get(BUDGET.toSeconds(), TimeUnit.SECONDS)).isEqualTo(expected);
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.header("X-Received-Sha256")).isEqualTo(expected);
        }
        System.out.printf(Locale.ROOT, "client ahead of a stalled backend after 2 s: %d KiB%n",
                clientAheadAfterStall.get() / 1024);
        // While the backend read nothing for 2 s, the client could only fill socket buffers and the
        // proxy's small write buffer: tens of MiB at most, not the 240 MiB it still had to send.
        assertThat(clientAheadAfterStall.get()).isBetween(0L, 64L * 1024 * 1024);
        assertThat(runtime.isAlive()).isTrue();
    }

    private void awaitGeneration(long generation) {
        HttpClient admin = HttpClient.newHttpClient();
        await().atMost(Duration.ofSeconds(10)).until(() -> admin.send(
                HttpRequest.newBuilder(URI.create(runtime.adminBaseUrl() + "/config")).build(),
                HttpResponse.BodyHandlers.ofString()).body().contains("\"generation\":" + generation + ","));
    }

    /** The status line and headers up to the blank line, as ISO-8859-1. */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed inside the response head: " + head);
            }
            head.write(b);
            matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3))
                    ? matched + 1 : b == '\r' ? 1 : 0;
            if (head.size() > 64 * 1024) {
                throw new IOException("response head over 64 KiB");
            }
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    private static MessageDigest sha256() throws Exception {
        return MessageDigest.getInstance("SHA-256");
    }
}
