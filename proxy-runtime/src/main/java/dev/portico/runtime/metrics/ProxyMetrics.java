package dev.portico.runtime.metrics;

import dev.portico.runtime.retry.RetryOn;
import dev.portico.runtime.upstream.UpstreamStats;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * The data plane's metrics in Prometheus form (Micrometer). Meters are looked up once
 * per route and status and then cached, so a request costs a few atomic increments.
 */
public final class ProxyMetrics implements AutoCloseable {

    private static final Duration[] LATENCY_BUCKETS = {
        Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
        Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
        Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(10),
        Duration.ofSeconds(30), Duration.ofSeconds(60)
    };

    /** The outcomes of {@code PUT /config}, as the {@code outcome} label of {@code portico_config_push_total}. */
    public static final List<String> PUSH_OUTCOMES = List.of("applied", "unchanged", "stale", "conflict", "invalid",
            "unauthorized", "forbidden", "too_large");

    /** Why a request was refused, as the {@code reason} label of {@code portico_requests_refused_total}. */
    public static final List<String> REQUEST_REFUSALS = List.of("max_requests_in_flight_per_client",
            "max_upstream_connections_per_backend", "max_upstream_connections");

    /**
     * Why a connection was closed before its PROXY protocol header was read, as the {@code reason} label of
     * {@code portico_proxy_protocol_refused_total} (spec.proxyProtocol).
     */
    public static final List<String> PROXY_PROTOCOL_REFUSALS = List.of("untrusted_peer", "missing", "malformed",
            "truncated", "timeout");

    /** {@code method/reason} of {@code portico_auth_failures_total}. */
    public static final List<String> AUTH_FAILURES = List.of("basic/invalid_credentials", "basic/unavailable",
            "forward/denied", "forward/unavailable");

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final ConcurrentHashMap<String, RouteMeters> routes = new ConcurrentHashMap<>();
    private final AtomicInteger openConnections = new AtomicInteger();
    private final AtomicInteger openUpstreamConnections = new AtomicInteger();
    private final Counter upstreamConnects;
    private final Counter upstreamConnectFailures;
    private final Counter upstreamReuses;
    private final Counter upstreamHttp2Connects;
    private final Counter upstreamHttp2Streams;
    private final Map<UpstreamStats.Discard, Counter> upstreamDiscards = new EnumMap<>(UpstreamStats.Discard.class);
    private final Counter refusedOverClientLimit;
    private final Counter adminRefusedOverClientLimit;
    private final Counter metricsRefusedOverClientLimit;
    private final MultiGauge certificateExpiry;
    private final Map<String, Counter> refusedRequests = new HashMap<>();
    private final Map<String, Counter> proxyProtocolRefusals = new HashMap<>();
    private final Map<String, Counter> authFailures = new HashMap<>();
    private final Counter reloadsApplied;
    private final Counter reloadsRejected;
    private final Map<String, Counter> pushes = new HashMap<>();
    private final JvmGcMetrics gcMetrics = new JvmGcMetrics();
    /**
     * What the function counters read. A function counter holds its object weakly, so a method reference
     * given to it (a new object, referenced nowhere else) would be collected and the counter read nothing.
     */
    private final List<LongSupplier> counted = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final java.util.EnumMap<RetryOn, Counter> retries = new java.util.EnumMap<>(RetryOn.class);
    private Counter retriesOverBudget;

    public ProxyMetrics() {
        Gauge.builder("portico.connections.open", openConnections, AtomicInteger::get)
                .description("Client connections currently open").register(registry);
        Gauge.builder("portico.upstream.connections.open", openUpstreamConnections, AtomicInteger::get)
                .description("Upstream connections currently open, in use or idle in the pool").register(registry);
        upstreamConnects = Counter.builder("portico.upstream.connects")
                .description("Upstream connections opened").register(registry);
        upstreamConnectFailures = Counter.builder("portico.upstream.connect.failures")
                .description("Upstream connection attempts that failed").register(registry);
        upstreamReuses = Counter.builder("portico.upstream.reuses")
                .description("Requests sent on a pooled keep-alive upstream connection").register(registry);
        upstreamHttp2Connects = Counter.builder("portico.upstream.http2.connects")
                .description("Upstream connections opened that speak HTTP/2 (also counted in portico.upstream.connects)")
                .register(registry);
        upstreamHttp2Streams = Counter.builder("portico.upstream.http2.streams")
                .description("Streams opened on HTTP/2 upstream connections, one per request").register(registry);
        // Registered up front, so an alert on unsolicited_bytes sees a 0 before the first one.
        for (UpstreamStats.Discard reason : UpstreamStats.Discard.values()) {
            upstreamDiscards.put(reason, Counter.builder("portico.upstream.connections.discarded")
                    .description("Upstream connections closed instead of pooled, by reason")
                    .tag("reason", reason.label()).register(registry));
        }
        // Registered up front, so a rate over them reads 0 before the first retry.
        for (RetryOn cause : RetryOn.values()) {
            retries.put(cause, Counter.builder("portico.upstream.retries")
                    .description("Requests tried again at their backend, by the failure of the try")
                    .tag("on", cause.word()).register(registry));
        }
        retriesOverBudget = Counter.builder("portico.upstream.retries.over.budget")
                .description("Retries the route allowed and the backend's retry budget refused").register(registry);
        refusedOverClientLimit = Counter.builder("portico.connections.refused")
                .description("Client connections closed at accept")
                .tag("reason", "max_connections_per_client").register(registry);
        adminRefusedOverClientLimit = Counter.builder("portico.connections.refused")
                .description("Client connections closed at accept")
                .tag("reason", "admin_max_connections_per_client").register(registry);
        metricsRefusedOverClientLimit = Counter.builder("portico.connections.refused")
                .description("Client connections closed at accept")
                .tag("reason", "metrics_max_connections_per_client").register(registry);
        certificateExpiry = MultiGauge.builder("portico.tls.certificate.expiry").baseUnit("seconds")
                .description("Seconds until the serving certificate of each TLS secret expires (its notAfter); "
                        + "negative once expired").register(registry);
        // Registered up front, so an alert on a refusal sees a 0 before the first one.
        for (String reason : REQUEST_REFUSALS) {
            refusedRequests.put(reason, Counter.builder("portico.requests.refused")
                    .description("Requests refused before reaching a backend: 503 over HTTP/1.1, "
                            + "RST_STREAM REFUSED_STREAM over HTTP/2")
                    .tag("reason", reason).register(registry));
        }
        // Registered up front, so an alert on untrusted_peer or missing sees a 0 before the first one.
        for (String reason : PROXY_PROTOCOL_REFUSALS) {
            proxyProtocolRefusals.put(reason, Counter.builder("portico.proxy.protocol.refused")
                    .description("Client connections closed before HTTP or TLS because of their PROXY protocol "
                            + "header (spec.proxyProtocol): from a peer not in trustedProxies.cidrs, without one, "
                            + "malformed, cut short, or not complete within limits.requestHeaderTimeout")
                    .tag("reason", reason).register(registry));
        }
        // Registered up front, so an alert on failed logins sees a 0 before the first one.
        for (String failure : AUTH_FAILURES) {
            String[] parts = failure.split("/");
            authFailures.put(failure, Counter.builder("portico.auth.failures")
                    .description("Requests refused by spec.auth: wrong basic-auth credentials, the forward-auth "
                            + "service's refusals (its non-2xx answers passed to the client), and requests refused "
                            + "with 503 because the auth service or the password checks were unavailable")
                    .tag("method", parts[0]).tag("reason", parts[1]).register(registry));
        }
        reloadsApplied = Counter.builder("portico.config.reloads").tag("result", "applied").register(registry);
        reloadsRejected = Counter.builder("portico.config.reloads").tag("result", "rejected").register(registry);
        // Registered up front, so an alert on "invalid" or "unauthorized" sees a 0 before the first one.
        for (String outcome : PUSH_OUTCOMES) {
            pushes.put(outcome, Counter.builder("portico.config.push").tag("outcome", outcome)
                    .description("PUT /config requests by outcome").register(registry));
        }
        // The JVM itself (jvm_memory_used_bytes, jvm_gc_pause_seconds, jvm_threads_live_threads,
        // process_cpu_usage...): heap use is what the resource bounds in SECURITY.md are stated in.
        new JvmMemoryMetrics().bindTo(registry);
        gcMetrics.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
    }

    /** Publishes the number of idle pooled upstream connections, summed over event loops. */
    public void idleUpstreamConnections(IntSupplier idle) {
        Gauge.builder("portico.upstream.connections.idle", idle::getAsInt)
                .description("Keep-alive upstream connections idle in the pool").register(registry);
    }

    /**
     * Publishes the requests in progress (what a graceful shutdown waits for) and the upstream
     * connections counted against the caps (connecting, in use or idle).
     */
    public void inFlight(IntSupplier requests, IntSupplier upstreamConnections) {
        Gauge.builder("portico.requests.in.flight", requests::getAsInt)
                .description("Requests in progress, WebSockets included").register(registry);
        Gauge.builder("portico.upstream.connections.counted", upstreamConnections::getAsInt)
                .description("Upstream connections counted against limits.maxUpstreamConnections: "
                        + "connecting, in use or idle").register(registry);
    }

    /** A failed try of a request tried again, on {@code cause}: connect failures always, the rest by route. */
    public void upstreamRetried(RetryOn cause) {
        retries.get(cause).increment();
    }

    /** A retry the route allowed but its backend's retry budget did not. */
    public void retryOverBudget() {
        retriesOverBudget.increment();
    }

    /** Publishes the outlier detector's ejections of backend endpoints, since start and now. */
    public void endpointHealth(LongSupplier ejections, IntSupplier ejectedNow) {
        FunctionCounter.builder("portico.upstream.endpoint.ejections", held(ejections), LongSupplier::getAsLong)
                .description("Backend endpoints ejected by passive health checks").register(registry);
        Gauge.builder("portico.upstream.endpoints.ejected", ejectedNow::getAsInt)
                .description("Backend endpoints ejected now").register(registry);
    }

    /** Publishes the access-log lines dropped because stdout could not keep up. */
    public void accessLogDropped(LongSupplier dropped) {
        FunctionCounter.builder("portico.access.log.dropped", held(dropped), LongSupplier::getAsLong)
                .description("Access-log lines dropped because stdout could not keep up").register(registry);
    }

    /** Publishes OCSP fetches for stapling: those stapled, and those that failed or could not be stapled. */
    public void ocspFetches(LongSupplier stapled, LongSupplier failed) {
        FunctionCounter.builder("portico.tls.ocsp.fetches", held(stapled), LongSupplier::getAsLong)
                .description("OCSP responses fetched for stapling, by result").tag("result", "stapled")
                .register(registry);
        FunctionCounter.builder("portico.tls.ocsp.fetches", held(failed), LongSupplier::getAsLong)
                .description("OCSP responses fetched for stapling, by result").tag("result", "failed")
                .register(registry);
    }

    private LongSupplier held(LongSupplier supplier) {
        counted.add(supplier);
        return supplier;
    }

    public void connectionOpened() {
        openConnections.incrementAndGet();
    }

    public void connectionClosed() {
        openConnections.decrementAndGet();
    }

    /** A connection reset at accept because its address had limits.maxConnectionsPerClient open. */
    public void connectionRefusedOverClientLimit() {
        refusedOverClientLimit.increment();
    }

    /** An admin-port connection reset at accept because its address had the admin port's cap open. */
    public void adminConnectionRefusedOverClientLimit() {
        adminRefusedOverClientLimit.increment();
    }

    /** A metrics-port connection reset at accept because its address had the cap (the admin port's) open. */
    public void metricsConnectionRefusedOverClientLimit() {
        metricsRefusedOverClientLimit.increment();
    }

    /**
     * Publishes the expiry of the certificates serving now, by secret name, replacing those published
     * before: called with each config that is applied, so a renewed or removed certificate shows at once.
     * The value is computed at each scrape, so it counts down between reloads.
     */
    public void certificatesServing(Map<String, Instant> notAfterBySecret) {
        certificateExpiry.register(notAfterBySecret.entrySet().stream()
                .map(e -> MultiGauge.Row.of(Tags.of("secret", e.getKey()), e.getValue(),
                        notAfter -> (notAfter.toEpochMilli() - System.currentTimeMillis()) / 1000.0))
                .map(row -> (MultiGauge.Row<?>) row)
                .toList(), true);
    }

    /** A request refused for {@code reason}, one of {@link #REQUEST_REFUSALS}. */
    public void requestRefused(String reason) {
        Counter counter = refusedRequests.get(reason);
        if (counter == null) {
            throw new IllegalArgumentException("not a refusal reason: " + reason);
        }
        counter.increment();
    }

    /** A connection closed for {@code reason}, one of {@link #PROXY_PROTOCOL_REFUSALS}. */
    /** @param failure one of {@link #AUTH_FAILURES} */
    public void authFailed(String failure) {
        Counter counter = authFailures.get(failure);
        if (counter == null) {
            throw new IllegalArgumentException("not an auth failure: " + failure);
        }
        counter.increment();
    }

    public void proxyProtocolRefused(String reason) {
        Counter counter = proxyProtocolRefusals.get(reason);
        if (counter == null) {
            throw new IllegalArgumentException("not a PROXY protocol refusal: " + reason);
        }
        counter.increment();
    }

    public int openConnections() {
        return openConnections.get();
    }

    public void requestCompleted(String route, int status, long durationNanos) {
        routes.computeIfAbsent(route, RouteMeters::new).record(status, durationNanos);
    }

    public void configReloaded(boolean applied) {
        (applied ? reloadsApplied : reloadsRejected).increment();
    }

    /** Counts one {@code PUT /config} by its outcome, one of {@link #PUSH_OUTCOMES}. */
    public void configPushed(String outcome) {
        Counter counter = pushes.get(outcome);
        if (counter == null) {
            throw new IllegalArgumentException("not a push outcome: " + outcome);
        }
        counter.increment();
    }

    public UpstreamStats upstreamStats() {
        return new UpstreamStats() {
            @Override public void opened() {
                openUpstreamConnections.incrementAndGet();
                upstreamConnects.increment();
            }
            @Override public void closed() {
                openUpstreamConnections.decrementAndGet();
            }
            @Override public void connectFailed() {
                upstreamConnectFailures.increment();
            }
            @Override public void reused() {
                upstreamReuses.increment();
            }
            @Override public void discarded(Discard reason) {
                upstreamDiscards.get(reason).increment();
            }
            @Override public void http2ConnectionOpened() {
                upstreamHttp2Connects.increment();
            }
            @Override public void http2StreamOpened() {
                upstreamHttp2Streams.increment();
            }
        };
    }

    /** Stops listening for GC notifications (tests start many runtimes in one JVM). */
    @Override
    public void close() {
        gcMetrics.close();
    }

    /** The Prometheus text exposition of every meter. */
    public String scrape() {
        return registry.scrape();
    }

    private final class RouteMeters {
        private final String route;
        private final Timer latency;
        private final AtomicReferenceArray<Counter> byStatus = new AtomicReferenceArray<>(600);

        RouteMeters(String route) {
            this.route = route;
            this.latency = Timer.builder("portico.request.duration")
                    .description("Time from request head to the last byte of the response")
                    .tag("route", route)
                    .serviceLevelObjectives(LATENCY_BUCKETS)
                    .register(registry);
        }

        void record(int status, long durationNanos) {
            latency.record(durationNanos, TimeUnit.NANOSECONDS);
            int index = status >= 100 && status < 600 ? status : 0;
            Counter counter = byStatus.get(index);
            if (counter == null) {
                counter = Counter.builder("portico.requests")
                        .description("Requests by route and status")
                        .tags("route", route, "status", Integer.toString(status))
                        .register(registry);
                byStatus.set(index, counter);
            }
            counter.increment();
        }
    }
}
