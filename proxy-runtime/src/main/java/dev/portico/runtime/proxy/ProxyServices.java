package dev.portico.runtime.proxy;

import dev.portico.runtime.config.ConfigHolder;
import dev.portico.runtime.log.AccessLog;
import dev.portico.runtime.metrics.ProxyMetrics;
import dev.portico.runtime.policy.InFlightLimiter;
import dev.portico.runtime.upstream.UpstreamPool;
import io.netty.util.concurrent.EventExecutor;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What every connection of the proxy shares: the current config, the upstream pools
 * (one per event loop), the count of requests in progress per client, metrics and the access log.
 */
public final class ProxyServices {

    private final ConfigHolder config;
    private final Map<EventExecutor, UpstreamPool> pools;
    private final ProxyMetrics metrics;
    private final AccessLog accessLog;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final InFlightLimiter perClient = new InFlightLimiter();
    private volatile boolean draining;

    public ProxyServices(ConfigHolder config, Map<EventExecutor, UpstreamPool> pools, ProxyMetrics metrics,
                         AccessLog accessLog) {
        this.config = config;
        this.pools = Map.copyOf(pools);
        this.metrics = metrics;
        this.accessLog = accessLog;
    }

    public ConfigHolder config() {
        return config;
    }

    /** The pool of the calling event loop: upstream and downstream share a thread. */
    public UpstreamPool pool(EventExecutor loop) {
        return pools.get(loop);
    }

    public ProxyMetrics metrics() {
        return metrics;
    }

    public AccessLog accessLog() {
        return accessLog;
    }

    /** Exchanges started and not yet finished; graceful shutdown waits for zero. */
    public int inFlight() {
        return inFlight.get();
    }

    /** Requests in progress per client address, for {@code limits.maxRequestsInFlightPerClient}. */
    public InFlightLimiter requestsPerClient() {
        return perClient;
    }

    /** From now on every response closes its connection, so clients move to other pods. */
    public void startDraining() {
        draining = true;
    }

    boolean draining() {
        return draining;
    }

    void exchangeStarted() {
        inFlight.incrementAndGet();
    }

    void exchangeFinished() {
        inFlight.decrementAndGet();
    }
}
