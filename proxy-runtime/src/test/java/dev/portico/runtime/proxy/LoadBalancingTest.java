package dev.portico.runtime.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portico.runtime.testing.FreePorts;
import dev.portico.runtime.testing.RawHttpClient;
import dev.portico.runtime.testing.RawResponse;
import dev.portico.runtime.testing.RecordedRequest;
import dev.portico.runtime.testing.RunningProxy;
import dev.portico.runtime.testing.SiteFiles;
import dev.portico.runtime.testing.StatusBackend;
import dev.portico.runtime.testing.TestBackend;
import io.netty.resolver.AbstractAddressResolver;
import io.netty.resolver.AddressResolver;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Promise;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Balancing, passive health and retries through a real runtime and several real backends on loopback. */
@Timeout(60)
class LoadBalancingTest {

    @TempDir
    Path dir;
    final List<AutoCloseable> closing = new ArrayList<>();
    RunningProxy proxy;

    @AfterEach
    void stop() throws Exception {
        if (proxy != null) {
            proxy.close();
        }
        for (AutoCloseable c : closing) {
            c.close();
        }
    }

    TestBackend backend(String name) {
        TestBackend backend = TestBackend.start(name);
        closing.add(backend);
        return backend;
    }

    StatusBackend failing(String name, int status) {
        StatusBackend backend = StatusBackend.start(name, status);
        closing.add(backend);
        return backend;
    }

    static String site(String backend, String routeExtra) {
        return """
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: test, generation: 1}
                spec:
                  hosts: ["*"]
                  routes:
                    - match: {path: {value: /}}
                      backend: %s
                %s""".formatted(backend, routeExtra.indent(6));
    }

    static String addresses(int... ports) {
        return "[" + java.util.Arrays.stream(ports).mapToObj(p -> "\"127.0.0.1:" + p + "\"")
                .collect(Collectors.joining(", ")) + "]";
    }

    /** "ok a GET /" -> "a". */
    static String servedBy(RawResponse response) {
        assertThat(response.status()).as(response.bodyText()).isEqualTo(200);
        return response.bodyText().split(" ")[1];
    }

    Map<String, Integer> spread(int requests, String... headers) {
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < requests; i++) {
            counts.merge(servedBy(proxy.get("/", headers)), 1, Integer::sum);
        }
        return counts;
    }

    @Test
    void roundRobinSpreadsRequestsEvenly() {
        TestBackend a = backend("a");
        TestBackend b = backend("b");
        TestBackend c = backend("c");
        proxy = RunningProxy.start(dir, site("{service: app, port: 80, addresses: %s}"
                .formatted(addresses(a.port(), b.port(), c.port())), ""));

        assertThat(spread(30)).containsOnly(Map.entry("a", 10), Map.entry("b", 10), Map.entry("c", 10));
    }

    @Test
    void leastRequestKeepsNewRequestsOffABusyBackend() {
        TestBackend a = backend("a");
        TestBackend b = backend("b");
        // One event loop: a request's count is down before the next request (on a new connection) is read.
        proxy = RunningProxy.startOnOneEventLoop(dir, site("{service: app, port: 80, addresses: %s, loadBalancer: {type: LeastRequest}}"
                .formatted(addresses(a.port(), b.port())), ""));
        CompletableFuture<RawResponse> slow = CompletableFuture.supplyAsync(() -> proxy.get("/__slow?delayMs=2000"));
        await().atMost(Duration.ofSeconds(5)).until(() -> a.requests().size() + b.requests().size() == 1);
        String busy = a.requests().isEmpty() ? "b" : "a";

        Map<String, Integer> counts = spread(10);

        assertThat(counts).doesNotContainKey(busy).containsValue(10);
        assertThat(slow.join().status()).isEqualTo(200);
    }

    @Test
    void aStickyCookieKeepsAClientOnItsBackendUntilThatBackendGoes() {
        TestBackend a = backend("a");
        TestBackend b = backend("b");
        String balancer = "loadBalancer: {type: ConsistentHash, consistentHash: {type: Cookie, cookie: {name: aff, ttl: 1h}}}";
        proxy = RunningProxy.start(dir, site("{service: app, port: 80, addresses: %s, %s}"
                .formatted(addresses(a.port(), b.port()), balancer), ""));

        RawResponse first = proxy.get("/");
        String setCookie = first.header("Set-Cookie");
        assertThat(setCookie).startsWith("aff=").contains("Max-Age=3600", "Path=/");
        String cookie = setCookie.split(";")[0];
        String home = servedBy(first);
        for (int i = 0; i < 6; i++) {
            RawResponse again = proxy.get("/", "Cookie: " + cookie);
            assertThat(servedBy(again)).isEqualTo(home);
            assertThat(again.header("Set-Cookie")).isNull();
        }

        TestBackend other = home.equals("a") ? b : a;
        proxy.reconfigure(site("{service: app, port: 80, addresses: %s, %s}".formatted(addresses(other.port()), balancer), ""));
        RawResponse moved = proxy.get("/", "Cookie: " + cookie);
        assertThat(servedBy(moved)).isEqualTo(other.name());
        assertThat(moved.header("Set-Cookie")).startsWith("aff=").doesNotStartWith(cookie + ";");
    }

    @Test
    void aHeaderHashSendsEachKeyToOneBackend() {
        TestBackend a = backend("a");
        TestBackend b = backend("b");
        proxy = RunningProxy.start(dir, site(("{service: app, port: 80, addresses: %s, loadBalancer: {type: ConsistentHash,"
                + " consistentHash: {type: Header, header: {name: X-User}}}}").formatted(addresses(a.port(), b.port())), ""));

        assertThat(spread(10, "X-User: alice")).hasSize(1);
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            seen.add(servedBy(proxy.get("/", "X-User: user-" + i)));
        }
        assertThat(seen).containsExactlyInAnyOrder("a", "b");
    }

    @Test
    void aDeadEndpointIsSkippedWithoutAClientErrorEjectedAndReadmitted() {
        TestBackend live = backend("live");
        int dead = FreePorts.next();
        proxy = RunningProxy.start(dir, site(("{service: app, port: 80, addresses: %s,"
                + " healthCheck: {passive: {consecutiveFailures: 1, baseEjectionTime: 1s}}}")
                .formatted(addresses(live.port(), dead)), ""));

        assertThat(spread(10)).containsOnly(Map.entry("live", 10)); // connect retries: no client sees the dead one
        assertThat(proxy.metric("portico_upstream_connect_failures_total")).isEqualTo(1.0);
        assertThat(proxy.metric("portico_upstream_endpoint_ejections_total")).isEqualTo(1.0);
        assertThat(proxy.metric("portico_upstream_endpoints_ejected")).isEqualTo(1.0);

        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.metric("portico_upstream_endpoints_ejected") == 0.0);
        assertThat(spread(4)).containsOnly(Map.entry("live", 4)); // readmitted: tried again, and out again
        assertThat(proxy.metric("portico_upstream_connect_failures_total")).isEqualTo(2.0);
        assertThat(proxy.metric("portico_upstream_endpoint_ejections_total")).isEqualTo(2.0);
    }

    @Test
    void a503IsRetriedOnTheOtherEndpointButNotForAPost() {
        StatusBackend bad = failing("bad", 503);
        TestBackend good = backend("good");
        proxy = RunningProxy.start(dir, site("{service: app, port: 80, addresses: %s}"
                .formatted(addresses(bad.port(), good.port())), "retries: {attempts: 2, retryOn: [\"503\"]}"));

        assertThat(spread(10)).containsOnly(Map.entry("good", 10));
        // A retry takes a round-robin turn too, so the bad endpoint gets at least every other first try.
        assertThat(bad.requests()).isGreaterThanOrEqualTo(5);
        List<RecordedRequest> retried = good.requests().stream().filter(r -> r.header("x-portico-attempt") != null)
                .toList();
        assertThat(retried).hasSize(bad.requests())
                .allSatisfy(r -> assertThat(r.header("x-portico-attempt")).isEqualTo("2"));

        int before = bad.requests();
        int posts503 = 0;
        for (int i = 0; i < 10; i++) {
            posts503 += proxy.request("POST", "app.example.com", "/", "Content-Length: 0").status() == 503 ? 1 : 0;
        }
        assertThat(posts503).isEqualTo(5).isEqualTo(bad.requests() - before); // not idempotent: the answer stands

        for (int i = 0; i < 2; i++) {
            assertThat(proxy.get("/", "x-portico-attempt: 7").status()).isEqualTo(200);
        }
        assertThat(good.requests()).hasSize(10 + 5 + 2) // a client's own attempt header never reaches the backend
                .allSatisfy(r -> assertThat(r.header("x-portico-attempt")).isNotEqualTo("7"));
    }

    @Test
    void aBodyHeldWithinTheLimitIsSentAgainOnARetry() throws IOException {
        StatusBackend bad = failing("bad", 503);
        TestBackend good = backend("good");
        proxy = RunningProxy.start(dir, site("{service: app, port: 80, addresses: %s}"
                .formatted(addresses(bad.port(), good.port())), "retries: {attempts: 2, retryOn: [\"503\"], maxBufferedBody: 1Ki}"));
        try (RawHttpClient client = proxy.connect()) {
            for (int i = 0; i < 4; i++) {
                client.send("PUT /doc HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world");
                RawResponse response = client.readResponse();
                assertThat(response.status()).isEqualTo(200);
                assertThat(response.header("X-Received-Bytes")).isEqualTo("11");
            }
        }
        assertThat(bad.requests()).isGreaterThanOrEqualTo(2);
        assertThat(good.requests()).hasSize(4).allSatisfy(r -> assertThat(r.bodyPrefixText()).isEqualTo("hello world"));
    }

    @Test
    void theBudgetBoundsRetriesWhenEveryEndpointFails() {
        StatusBackend one = failing("one", 503);
        StatusBackend two = failing("two", 503);
        String backend = "{service: app, port: 80, addresses: %s}".formatted(addresses(one.port(), two.port()));
        proxy = RunningProxy.start(dir, site(backend, "retries: {attempts: 3, retryOn: [\"503\"], budget: {percent: 0, minConcurrent: 0}}"));
        for (int i = 0; i < 10; i++) {
            assertThat(proxy.get("/").status()).isEqualTo(503);
        }
        assertThat(one.requests() + two.requests()).isEqualTo(10); // no room in the budget: no retry
        assertThat(proxy.metric("portico_upstream_retries_over_budget_total")).isEqualTo(10.0);

        proxy.reconfigure(site(backend, "retries: {attempts: 3, retryOn: [\"503\"]}")); // default budget: 3 at any time
        for (int i = 0; i < 10; i++) {
            assertThat(proxy.get("/").status()).isEqualTo(503);
        }
        assertThat(one.requests() + two.requests()).isEqualTo(40); // the budget was what held them back
        assertThat(proxy.metric("portico_upstream_retries_total{on=\"503\"}")).isEqualTo(20.0);
    }

    @Test
    void aTerminatingEndpointFinishesItsStreamAndGetsNoNewRequest() throws Exception {
        TestBackend a = backend("a");
        TestBackend b = backend("b");
        Path endpoints = dir.resolve("backend-endpoints.json");
        Files.writeString(endpoints, endpointsFile(a.port()));
        proxy = RunningProxy.start(dir, site("{service: app, port: 80}", ""));
        assertThat(spread(3)).containsOnly(Map.entry("a", 3));

        try (RawHttpClient client = proxy.connect()) {
            client.send("GET /__chunks?count=6&delayMs=300&size=16 HTTP/1.1\r\nHost: a\r\n\r\n");
            await().atMost(Duration.ofSeconds(5)).until(() -> a.requests().size() == 4);
            Files.writeString(endpoints, "{\"app:80\": [" + endpoint(a.port(), false, true, true) + ", "
                    + endpoint(b.port(), true, true, false) + "]}");
            proxy.runtime().checkForChanges();

            assertThat(spread(4)).containsOnly(Map.entry("b", 4));
            RawResponse streamed = client.readResponse();
            assertThat(streamed.status()).isEqualTo(200);
            assertThat(streamed.body()).hasSize(6 * 16);
        }
        assertThat(a.requests()).hasSize(4);

        Files.writeString(endpoints, "{\"app:80\": []}");
        proxy.runtime().checkForChanges();
        assertThat(proxy.get("/").status()).isEqualTo(503); // the operator says nothing serves: never DNS
    }

    @Test
    void aConnectionClosedBeforeTheResponseIsRetriedOnTheOtherEndpointAndCountsAgainstIt() throws Exception {
        TestBackend good = backend("good");
        try (ServerSocket closing = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            AtomicInteger dropped = new AtomicInteger();
            Thread acceptor = new Thread(() -> {
                while (!closing.isClosed()) {
                    try (Socket socket = closing.accept()) {
                        socket.getInputStream().read(new byte[4096]); // the request head, then hang up
                        dropped.incrementAndGet();
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            proxy = RunningProxy.start(dir, site(("{service: app, port: 80, addresses: %s,"
                    + " healthCheck: {passive: {consecutiveFailures: 2, baseEjectionTime: 30s}}}")
                    .formatted(addresses(closing.getLocalPort(), good.port())), "retries: {attempts: 2, retryOn: [reset]}"));

            assertThat(spread(10)).containsOnly(Map.entry("good", 10));

            assertThat(dropped.get()).isEqualTo(2); // its second reset in a row ejected it
            assertThat(proxy.metric("portico_upstream_retries_total{on=\"reset\"}")).isEqualTo(2.0);
            assertThat(proxy.metric("portico_upstream_endpoint_ejections_total")).isEqualTo(1.0);
        }
    }

    static String endpoint(int port, boolean ready, boolean serving, boolean terminating) {
        return "{\"address\": \"127.0.0.1\", \"port\": %d, \"ready\": %s, \"serving\": %s, \"terminating\": %s}"
                .formatted(port, ready, serving, terminating);
    }

    static String endpointsFile(int port) {
        return "{\"app:80\": [" + endpoint(port, true, true, false) + "]}";
    }

    @Test
    void everyAddressADnsNameResolvesToTakesRequests() {
        TestBackend a = backend("a");
        TestBackend b = backend("b");
        proxy = RunningProxy.start(RunningProxy.options(SiteFiles.write(dir, site("{service: app, port: 80}", "")),
                dir.resolve("secrets")), new TwoRecords("app", List.of(a.port(), b.port())));

        assertThat(spread(10)).containsOnly(Map.entry("a", 5), Map.entry("b", 5));
    }

    @Test
    void aDnsBackendFollowsItsRecordsWhenTheyChange() {
        TestBackend a = backend("a");
        TestBackend b = backend("b");
        TwoRecords records = new TwoRecords("app", List.of(a.port()));
        proxy = RunningProxy.start(RunningProxy.options(SiteFiles.write(dir, site("{service: app, port: 80}", "")),
                dir.resolve("secrets")), records);
        assertThat(spread(3)).containsOnly(Map.entry("a", 3));

        records.ports = List.of(b.port()); // the TTL ran out and the name now answers another address

        assertThat(spread(3)).containsOnly(Map.entry("b", 3));
    }

    @Test
    void aTryPastItsPerTryTimeoutIsRetriedElsewhere() {
        StatusBackend slow = failing("slow", 200);
        slow.delay(Duration.ofSeconds(3));
        TestBackend fast = backend("fast");
        proxy = RunningProxy.start(dir, site("{service: app, port: 80, addresses: %s}".formatted(addresses(slow.port(),
                fast.port())), "retries: {attempts: 2, retryOn: [\"504\"], perTryTimeout: 300ms}"));
        long start = System.nanoTime();

        assertThat(spread(4)).containsOnly(Map.entry("fast", 4));

        assertThat(slow.requests()).isGreaterThanOrEqualTo(2);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
    }

    /** A name with several A records, as a resolver answers them all. */
    static final class TwoRecords extends AddressResolverGroup<InetSocketAddress> {
        private final String name;
        private volatile List<Integer> ports;

        TwoRecords(String name, List<Integer> ports) {
            this.name = name;
            this.ports = ports;
        }

        @Override
        protected AddressResolver<InetSocketAddress> newResolver(EventExecutor executor) {
            return new AbstractAddressResolver<>(executor, InetSocketAddress.class) {
                @Override
                protected boolean doIsResolved(InetSocketAddress address) {
                    return !address.isUnresolved();
                }

                @Override
                protected void doResolve(InetSocketAddress unresolved, Promise<InetSocketAddress> promise) {
                    promise.setFailure(new UnknownHostException("only resolveAll: " + unresolved));
                }

                @Override
                protected void doResolveAll(InetSocketAddress unresolved, Promise<List<InetSocketAddress>> promise) {
                    if (!unresolved.getHostString().equals(name)) {
                        promise.setFailure(new UnknownHostException(unresolved.getHostString()));
                        return;
                    }
                    promise.setSuccess(ports.stream().map(p -> new InetSocketAddress("127.0.0.1", p)).toList());
                }
            };
        }
    }
}
