package dev.portico.operator.e2e;

import dev.portico.operator.testbed.TestbedKubelet;
import dev.portico.runtime.testing.RawHttpClient;
import dev.portico.runtime.testing.RawResponse;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * Steady client load through a site's proxy pods, for the proofs of endpoint balancing: a few
 * client loops, each on a keep-alive connection of its own to one proxy pod (round robin over
 * the pods), sending {@code GET /__slow?delayMs=D&id=N} one after another, each bounded by a
 * deadline, until stopped or out of count or time. Every request has an id that the backend
 * pod records in the URI it received, so a test can tell which requests a pod had when it went;
 * each outcome says which pod answered (the body is {@code ok <pod> GET <uri>}) or why it failed.
 */
final class BackendLoad implements AutoCloseable {

    /** One request's end: the pod that answered, or an error (a status other than 200, an I/O failure). */
    record Outcome(int id, long startNanos, long endNanos, String pod, String error) {
        boolean failed() {
            return error != null;
        }
    }

    private static final Duration REQUEST_DEADLINE = Duration.ofSeconds(5);
    private static final int MAX_REQUESTS_PER_LOOP = 20_000;
    private static final Duration MAX_TIME = Duration.ofSeconds(120);

    private final List<TestbedKubelet.RunningPod> proxies;
    private final String host;
    private final int delayMillis;
    private final AtomicInteger ids = new AtomicInteger();
    private final ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
    private final List<Thread> loops = new ArrayList<>();
    private volatile boolean stopped;

    /**
     * @param delayMillis how long each request takes at the backend: requests in flight at a pod at any moment
     */
    BackendLoad(List<TestbedKubelet.RunningPod> proxies, String host, int loops, int delayMillis) {
        this.proxies = List.copyOf(proxies);
        this.host = host;
        this.delayMillis = delayMillis;
        long deadline = System.nanoTime() + MAX_TIME.toNanos();
        for (int i = 0; i < loops; i++) {
            TestbedKubelet.RunningPod proxy = this.proxies.get(i % this.proxies.size());
            Thread thread = new Thread(() -> run(proxy, deadline), "backend-load-" + i);
            thread.setDaemon(true);
            this.loops.add(thread);
        }
        this.loops.forEach(Thread::start);
    }

    private void run(TestbedKubelet.RunningPod proxy, long deadline) {
        RawHttpClient connection = null;
        for (int sent = 0; !stopped && sent < MAX_REQUESTS_PER_LOOP && System.nanoTime() - deadline < 0; sent++) {
            int id = ids.incrementAndGet();
            long start = System.nanoTime();
            try {
                if (connection == null) {
                    Socket socket = new Socket();
                    socket.setTcpNoDelay(true);
                    socket.connect(new InetSocketAddress(proxy.ip(), proxy.runtime().httpPort()), 2_000);
                    connection = RawHttpClient.over(socket).readTimeout(REQUEST_DEADLINE);
                }
                RawResponse response = connection.send("GET /__slow?delayMs=" + delayMillis + "&id=" + id
                        + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n").readResponse();
                String body = response.bodyText();
                if (response.status() != 200) {
                    outcomes.add(new Outcome(id, start, System.nanoTime(), null,
                            "status " + response.status() + " " + body.strip()));
                } else {
                    // ok <pod> GET /__slow?delayMs=..&id=N
                    String[] words = body.split(" ");
                    boolean ours = words.length == 4 && words[3].endsWith("&id=" + id);
                    outcomes.add(new Outcome(id, start, System.nanoTime(), ours ? words[1] : null,
                            ours ? null : "unexpected body " + body));
                }
                if ("close".equalsIgnoreCase(response.header("connection"))) {
                    connection.close();
                    connection = null;
                }
            } catch (IOException | RuntimeException e) {
                outcomes.add(new Outcome(id, start, System.nanoTime(), null, e.toString()));
                connection = closeQuietly(connection);
            }
        }
        closeQuietly(connection);
    }

    private static RawHttpClient closeQuietly(RawHttpClient connection) {
        if (connection != null) {
            try {
                connection.close();
            } catch (IOException ignored) {
                // going anyway
            }
        }
        return null;
    }

    /** Every outcome so far. */
    List<Outcome> outcomes() {
        return List.copyOf(outcomes);
    }

    List<Outcome> failures() {
        return outcomes().stream().filter(Outcome::failed).toList();
    }

    /** Responses by pod name, of the outcomes that match. */
    Map<String, Integer> answeredBy(Predicate<Outcome> which) {
        Map<String, Integer> counts = new TreeMap<>();
        outcomes().stream().filter(o -> !o.failed() && which.test(o)).forEach(o -> counts.merge(o.pod(), 1, Integer::sum));
        return counts;
    }

    /** The id a backend pod recorded with a request's URI. */
    static int idOf(String uri) {
        return Integer.parseInt(uri.substring(uri.lastIndexOf("&id=") + 4));
    }

    /** Stops the loops after their current request (each bounded by its deadline). */
    @Override
    public void close() {
        stopped = true;
        for (Thread loop : loops) {
            try {
                loop.join(TimeUnit.SECONDS.toMillis(REQUEST_DEADLINE.toSeconds() + 5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
