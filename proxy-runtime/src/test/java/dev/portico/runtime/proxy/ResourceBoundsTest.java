package dev.portico.runtime.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portico.runtime.testing.RawHttpClient;
import dev.portico.runtime.testing.RawResponse;
import dev.portico.runtime.testing.RunningProxy;
import dev.portico.runtime.testing.RuntimeProcess;
import dev.portico.runtime.testing.SiteFiles;
import dev.portico.runtime.testing.TestBackend;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The resource bounds SECURITY.md states, measured on a runtime in its own JVM with a capped heap
 * ({@link #HEAP_CAP}, and {@code -XX:+ExitOnOutOfMemoryError} as in the container image, so running out
 * of heap kills the runtime and fails the test). Heap is read from the runtime's own
 * {@code jvm_memory_used_bytes{area="heap"}} right after {@code jcmd <pid> GC.run}: live data, not garbage.
 *
 * <ul>
 *   <li>{@link #tenThousandIdleKeepAliveConnectionsStayWithinTheHeapBound}: 10,000 keep-alive client
 *       connections, each used for one proxied request and then left idle;</li>
 *   <li>{@link #twoHundredThousandDistinctClientsDoNotGrowTheHeapPastTheLimiterCap}: 200,000 distinct
 *       client addresses (X-Forwarded-For from a trusted hop) through {@code rateLimit}, whose per-client
 *       buckets are capped at 100,000. The cap itself is unit-tested in {@code RateLimiterTest}
 *       ({@code memoryStaysBoundedHoweverManyClientsThereAre}, 300,000 addresses).</li>
 * </ul>
 * Per-connection and per-client costs are printed ({@code [bounds] ...}) for SECURITY.md.
 */
@Timeout(120)
class ResourceBoundsTest {

    /**
     * 64 MiB: both tests also pass at -Xmx48m, with the live heap at ~80% of it; 64 MiB leaves the margin.
     * {@code -Dbounds.heapCap=-Xmx48m} tries another cap.
     */
    static final String HEAP_CAP = System.getProperty("bounds.heapCap", "-Xmx64m");
    static final List<String> JVM_ARGS = List.of(HEAP_CAP, "-XX:+ExitOnOutOfMemoryError");

    static final int IDLE_CONNECTIONS = 10_000;
    /** Connections being set up at once: well under the listener's backlog (4096). */
    static final int CONNECTING_AT_ONCE = 256;
    static final Duration OPEN_TIMEOUT = Duration.ofSeconds(45);
    /** Live heap with 10,000 idle connections open (after a full GC); measured 37.8-38.5 MiB. */
    static final long IDLE_HEAP_BOUND = 48L << 20;

    static final int DISTINCT_CLIENTS = 200_000;
    static final int FLOOD_CONNECTIONS = 4;
    static final Duration FLOOD_TIMEOUT = Duration.ofSeconds(40);
    /** Live heap with the limiter full (100,000 buckets) and 200,000 clients seen; measured 32.0-32.2 MiB. */
    static final long LIMITER_HEAP_BOUND = 48L << 20;

    static final HttpClient ADMIN = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @TempDir
    Path dir;
    TestBackend backend;
    RuntimeProcess runtime;

    @AfterEach
    void stop() {
        if (runtime != null) {
            runtime.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    @Test
    void tenThousandIdleKeepAliveConnectionsStayWithinTheHeapBound() throws Exception {
        backend = TestBackend.start("app");
        // All 10,000 connections come from 127.0.0.1: lift the per-client cap (512 by default), which
        // would otherwise be what stops them, to measure the heap they cost.
        runtime = RuntimeProcess.start(SiteFiles.write(dir, RunningProxy.siteFor(backend,
                "limits: {maxConnectionsPerClient: 20000}")), JVM_ARGS);
        assertThat(get("/warm-up").status()).isEqualTo(200);
        long baseline = liveHeap();

        long openStart = System.nanoTime();
        try (IdleConnections idle = IdleConnections.open(runtime.httpPort(), IDLE_CONNECTIONS, OPEN_TIMEOUT)) {
            long openMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - openStart);
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> metric(scrape(), "portico_connections_open") == IDLE_CONNECTIONS);

            // Another client is served at once while they are all open.
            long slowest = 0;
            for (int i = 0; i < 10; i++) {
                long start = System.nanoTime();
                assertThat(get("/beside-the-idle-ones/" + i).status()).isEqualTo(200);
                slowest = Math.max(slowest, System.nanoTime() - start);
            }
            long heap = liveHeap();
            report("%,d idle keep-alive connections opened and used in %,d ms; live heap %s (baseline %s, "
                    + "%,d bytes per connection); slowest other request %,d ms; RSS %s; cap %s",
                    IDLE_CONNECTIONS, openMillis, mib(heap), mib(baseline), (heap - baseline) / IDLE_CONNECTIONS,
                    TimeUnit.NANOSECONDS.toMillis(slowest), mib(rss()), HEAP_CAP);
            assertThat(slowest).as("latency of a request beside the idle connections")
                    .isLessThan(TimeUnit.SECONDS.toNanos(1));
            assertThat(heap).as("live heap with %,d idle connections", IDLE_CONNECTIONS).isLessThan(IDLE_HEAP_BOUND);
            assertThat(idle.stillOpen()).as("idle connections the runtime kept").isEqualTo(IDLE_CONNECTIONS);
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> metric(scrape(), "portico_connections_open") == 0);
        assertThat(runtime.isAlive()).isTrue();
    }

    @Test
    void twoHundredThousandDistinctClientsDoNotGrowTheHeapPastTheLimiterCap() throws Exception {
        // A bucket is forgotten only when full again (burst / rate + 1 s = 101 s, longer than the
        // test): what bounds the memory here is the size cap, not the expiry.
        runtime = RuntimeProcess.start(SiteFiles.write(dir, """
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: bounds, generation: 1}
                spec:
                  hosts: ["*"]
                  trustedProxies: {cidrs: ["127.0.0.0/8"]}
                  rateLimit: {requestsPerSecond: 1, burst: 100}
                  routes:
                    - match: {path: {value: /}}
                      respond: {status: 200, body: "ok"}
                """), JVM_ARGS);
        assertThat(get("/warm-up").status()).isEqualTo(200);
        long baseline = liveHeap();

        long start = System.nanoTime();
        flood(0, DISTINCT_CLIENTS / 2);
        long half = liveHeap();
        flood(DISTINCT_CLIENTS / 2, DISTINCT_CLIENTS);
        long floodMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        long full = liveHeap();

        report("%,d distinct clients in %,d ms (%,d req/s); live heap %s at start, %s after %,d clients, "
                        + "%s after %,d; RSS %s; cap %s",
                DISTINCT_CLIENTS, floodMillis, DISTINCT_CLIENTS * 1000L / Math.max(1, floodMillis), mib(baseline),
                mib(half), DISTINCT_CLIENTS / 2, mib(full), DISTINCT_CLIENTS, mib(rss()), HEAP_CAP);
        assertThat(full).as("live heap after %,d distinct clients", DISTINCT_CLIENTS).isLessThan(LIMITER_HEAP_BOUND);
        // Past the cap of 100,000 buckets, another 100,000 clients replace buckets instead of adding them.
        assertThat(full - half).as("heap growth from the 100,001st to the 200,000th client")
                .isLessThan(4L << 20);
        assertThat(runtime.isAlive()).isTrue();
    }

    // ---- distinct-client flood ---------------------------------------------------------------------

    /**
     * Sends one request for each client index in {@code [from, to)}, X-Forwarded-For 10.x.y.z, pipelined
     * over {@link #FLOOD_CONNECTIONS} keep-alive connections (a writer and a reader thread each), and
     * checks every one got 200.
     */
    private void flood(int from, int to) throws Exception {
        long deadline = System.nanoTime() + FLOOD_TIMEOUT.toNanos();
        List<Thread> threads = new ArrayList<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicLong ok = new AtomicLong();
        List<Socket> sockets = new ArrayList<>();
        for (int c = 0; c < FLOOD_CONNECTIONS; c++) {
            Socket socket = new Socket("127.0.0.1", runtime.httpPort());
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(10_000);
            sockets.add(socket);
            int first = from + c;
            int expected = (to - first + FLOOD_CONNECTIONS - 1) / FLOOD_CONNECTIONS;
            threads.add(new Thread(() -> guard(failure, () -> writeRequests(socket, first, to)), "flood-writer-" + c));
            threads.add(new Thread(() -> guard(failure, () -> ok.addAndGet(readResponses(socket, expected, deadline))),
                    "flood-reader-" + c));
        }
        threads.forEach(Thread::start);
        try {
            for (Thread thread : threads) {
                thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()) + 1_000));
            }
        } finally {
            for (Socket socket : sockets) {
                socket.close();
            }
        }
        for (Thread thread : threads) {
            thread.join(5_000);
        }
        if (failure.get() != null) {
            throw new AssertionError("flood of clients " + from + ".." + to + " failed", failure.get());
        }
        assertThat(ok.get()).as("200 responses to clients %d..%d", from, to).isEqualTo(to - from);
    }

    private void writeRequests(Socket socket, int first, int to) throws IOException {
        OutputStream out = socket.getOutputStream();
        StringBuilder batch = new StringBuilder();
        for (int i = first; i < to; i += FLOOD_CONNECTIONS) {
            batch.append("GET /c HTTP/1.1\r\nHost: bounds\r\nX-Forwarded-For: 10.")
                    .append((i >>> 16) & 0xff).append('.').append((i >>> 8) & 0xff).append('.').append(i & 0xff)
                    .append("\r\n\r\n");
            if (batch.length() > 16 * 1024) {
                out.write(batch.toString().getBytes(StandardCharsets.US_ASCII));
                batch.setLength(0);
            }
        }
        out.write(batch.toString().getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** Counts {@code HTTP/1.1 200} status lines until {@code expected} responses came; fails on any other status. */
    private static long readResponses(Socket socket, int expected, long deadline) throws IOException {
        InputStream in = socket.getInputStream();
        byte[] marker = "HTTP/1.1 ".getBytes(StandardCharsets.US_ASCII);
        byte[] buffer = new byte[64 * 1024];
        int matched = 0;
        int statusDigits = -1;
        int status = 0;
        long responses = 0;
        long ok = 0;
        while (responses < expected) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("only " + responses + " of " + expected + " responses in time");
            }
            int n = in.read(buffer);
            if (n < 0) {
                throw new AssertionError("connection closed after " + responses + " of " + expected + " responses");
            }
            for (int i = 0; i < n; i++) {
                byte b = buffer[i];
                if (statusDigits >= 0) {
                    status = status * 10 + (b - '0');
                    if (++statusDigits == 3) {
                        if (status != 200) {
                            throw new AssertionError("response " + responses + " has status " + status);
                        }
                        ok++;
                        responses++;
                        statusDigits = -1;
                    }
                } else if (b == marker[matched]) {
                    if (++matched == marker.length) {
                        matched = 0;
                        statusDigits = 0;
                        status = 0;
                    }
                } else {
                    matched = b == marker[0] ? 1 : 0;
                }
            }
        }
        return ok;
    }

    private interface IoWork {
        void run() throws Exception;
    }

    private static void guard(AtomicReference<Throwable> failure, IoWork work) {
        try {
            work.run();
        } catch (Throwable e) {
            failure.compareAndSet(null, e);
        }
    }

    // ---- idle connections ----------------------------------------------------------------------------

    /**
     * Many non-blocking client connections on one selector: at most {@link #CONNECTING_AT_ONCE} are being
     * set up at a time; each sends one request, reads its whole response, and then stays open and silent.
     */
    static final class IdleConnections implements AutoCloseable {
        private final Selector selector;
        private final List<SocketChannel> channels;

        private IdleConnections(Selector selector, List<SocketChannel> channels) {
            this.selector = selector;
            this.channels = channels;
        }

        static IdleConnections open(int port, int count, Duration timeout) throws IOException {
            Selector selector = Selector.open();
            List<SocketChannel> channels = new ArrayList<>(count);
            IdleConnections connections = new IdleConnections(selector, channels);
            try {
                connections.openAll(new InetSocketAddress("127.0.0.1", port), count, timeout);
                return connections;
            } catch (IOException | RuntimeException | Error e) {
                connections.close();
                throw e;
            }
        }

        private void openAll(InetSocketAddress address, int count, Duration timeout) throws IOException {
            long deadline = System.nanoTime() + timeout.toNanos();
            int started = 0;
            int done = 0;
            while (done < count) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("only " + done + " of " + count + " connections served within "
                            + timeout.toSeconds() + " s (" + started + " started)");
                }
                while (started - done < CONNECTING_AT_ONCE && started < count) {
                    SocketChannel channel = SocketChannel.open();
                    channels.add(channel);
                    channel.configureBlocking(false);
                    channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                    Pending pending = new Pending(started);
                    if (channel.connect(address)) {
                        pending.sendRequest(channel);
                        channel.register(selector, SelectionKey.OP_READ, pending);
                    } else {
                        channel.register(selector, SelectionKey.OP_CONNECT, pending);
                    }
                    started++;
                }
                selector.select(100);
                for (Iterator<SelectionKey> keys = selector.selectedKeys().iterator(); keys.hasNext(); ) {
                    SelectionKey key = keys.next();
                    keys.remove();
                    SocketChannel channel = (SocketChannel) key.channel();
                    Pending pending = (Pending) key.attachment();
                    if (key.isConnectable()) {
                        channel.finishConnect();
                        pending.sendRequest(channel);
                        key.interestOps(SelectionKey.OP_READ);
                    } else if (key.isReadable() && pending.read(channel)) {
                        key.interestOps(0);     // served: from now on it is an idle keep-alive connection
                        key.attach(null);
                        done++;
                    }
                }
            }
        }

        /** Connections the runtime has not closed (a closed one reads end-of-stream at once). */
        int stillOpen() throws IOException {
            ByteBuffer probe = ByteBuffer.allocate(1);
            int open = 0;
            for (SocketChannel channel : channels) {
                probe.clear();
                if (channel.isOpen() && channel.read(probe) == 0) {
                    open++;
                }
            }
            return open;
        }

        @Override
        public void close() throws IOException {
            for (SocketChannel channel : channels) {
                channel.close();
            }
            selector.close();
        }
    }

    /** One connection's request and the response read so far. */
    private static final class Pending {
        private final int index;
        private ByteBuffer response = ByteBuffer.allocate(1024);

        Pending(int index) {
            this.index = index;
        }

        void sendRequest(SocketChannel channel) throws IOException {
            ByteBuffer request = ByteBuffer.wrap(("GET /idle/" + index + " HTTP/1.1\r\nHost: app\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            while (request.hasRemaining()) {
                channel.write(request);   // a few dozen bytes on a fresh socket: never partial in practice
            }
        }

        /** Reads what arrived; true once the whole response (head and Content-Length body) is in. */
        boolean read(SocketChannel channel) throws IOException {
            if (channel.read(response) < 0) {
                throw new AssertionError("connection " + index + " closed before its response");
            }
            String text = new String(response.array(), 0, response.position(), StandardCharsets.ISO_8859_1);
            int headEnd = text.indexOf("\r\n\r\n");
            if (headEnd < 0) {
                if (!response.hasRemaining()) {
                    throw new AssertionError("response head over 1 KiB on connection " + index);
                }
                return false;
            }
            if (!text.startsWith("HTTP/1.1 200 ")) {
                throw new AssertionError("connection " + index + ": " + text.lines().findFirst().orElse(""));
            }
            int length = 0;
            for (String line : text.substring(0, headEnd).split("\r\n")) {
                if (line.regionMatches(true, 0, "content-length:", 0, 15)) {
                    length = Integer.parseInt(line.substring(15).trim());
                }
            }
            return response.position() >= headEnd + 4 + length;
        }
    }

    // ---- the runtime's side ------------------------------------------------------------------------

    private RawResponse get(String target) throws IOException {
        try (RawHttpClient client = RawHttpClient.connect(runtime.httpPort())) {
            client.send("GET " + target + " HTTP/1.1\r\nHost: app\r\nConnection: close\r\n\r\n");
            return client.readResponse();
        }
    }

    /** A full GC in the runtime ({@code jcmd <pid> GC.run}), then its heap in use: the live data. */
    private long liveHeap() throws Exception {
        Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(runtime.pid()), "GC.run")
                .redirectErrorStream(true)
                .start();
        String output = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(jcmd.waitFor(30, TimeUnit.SECONDS)).as("jcmd finished").isTrue();
        assertThat(jcmd.exitValue()).as("jcmd GC.run: %s", output).isZero();
        return (long) metric(scrape(), "jvm_memory_used_bytes{area=\"heap\"");
    }

    /** The runtime's resident set size, from /proc (0 where there is none). */
    private long rss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(runtime.pid()), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux: reported as 0
        }
        return 0;
    }

    private String scrape() {
        HttpRequest request = HttpRequest.newBuilder(URI.create(runtime.adminBaseUrl() + "/metrics"))
                .timeout(Duration.ofSeconds(10)).build();
        try {
            return ADMIN.send(request, HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The sum of the samples whose line starts with {@code prefix} (a name, or a name and its first labels). */
    static double metric(String text, String prefix) {
        double sum = 0;
        boolean found = false;
        for (String line : text.split("\n")) {
            if (line.startsWith(prefix) && (line.length() > prefix.length())
                    && " {,".indexOf(line.charAt(prefix.length())) >= 0) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                found = true;
            }
        }
        if (!found) {
            throw new AssertionError("no metric " + prefix + " in\n" + text);
        }
        return sum;
    }

    private static String mib(long bytes) {
        return "%.1f MiB".formatted(bytes / 1048576.0);
    }

    private static void report(String format, Object... args) {
        System.out.println("[bounds] " + format.formatted(args));
    }
}
