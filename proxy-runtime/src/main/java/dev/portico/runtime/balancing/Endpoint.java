package dev.portico.runtime.balancing;

import dev.portico.runtime.routing.RouteAction.UpstreamTarget;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One address a backend's requests go to, and what the balancer and the outlier detector know
 * of it. The same object serves every event loop and outlives config generations while the
 * endpoint stays (see {@link BackendClusters}), so its counts are shared and survive a push.
 */
public final class Endpoint {

    private final UpstreamTarget target;
    private final InetSocketAddress remote;
    private final long hash;
    private final String id;
    private final AtomicInteger active = new AtomicInteger();
    final Health health = new Health();

    /**
     * @param target the pool's key: address, port and the backend's TLS settings
     * @param remote where to connect: unresolved (ip, port) for addresses the runtime's resolver
     *               may still map (a testbed's pod IPs), resolved for what DNS answered
     */
    Endpoint(UpstreamTarget target, InetSocketAddress remote) {
        this.target = target;
        this.remote = remote;
        this.hash = Hashing.of(target.host() + ":" + target.port());
        this.id = Long.toHexString(hash);
    }

    public UpstreamTarget target() {
        return target;
    }

    public InetSocketAddress remote() {
        return remote;
    }

    /** Stable across restarts and pods: the sticky cookie's value and the rendezvous hash's seed. */
    public String id() {
        return id;
    }

    long hash() {
        return hash;
    }

    /** Requests in progress on this endpoint, across all event loops. */
    public int active() {
        return active.get();
    }

    public void started() {
        active.incrementAndGet();
    }

    public void ended() {
        active.decrementAndGet();
    }

    /** Whether the outlier detector keeps new requests away from it at {@code nanoTime}. */
    public boolean ejected(long nanoTime) {
        return health.ejectedAt(nanoTime);
    }

    @Override
    public String toString() {
        return target.toString();
    }

    /**
     * The outlier detector's counts. Written under this object's monitor; read without it on every
     * pick and response (volatile), so the common path takes no lock.
     */
    static final class Health {
        volatile int consecutiveFailures;
        volatile int consecutive5xx;
        int ejections;
        volatile boolean ejected;
        volatile long ejectedUntil;
        long readmittedAt;

        boolean ejectedAt(long now) {
            return ejected && now - ejectedUntil < 0;
        }
    }
}
