package dev.portico.runtime.upstream;

import dev.portico.runtime.routing.RouteAction.UpstreamTarget;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code limits.maxUpstreamConnectionsPerBackend} and {@code limits.maxUpstreamConnections}: the
 * upstream sockets open at once, per backend and overall. Pools are per event loop, so the counts
 * live here, shared by all of them. A connection holds its slot from the moment it starts
 * connecting (the socket exists then) until its channel is closed, whether it was in use, idle in
 * a pool or handed over to a WebSocket tunnel; a failed connect closes its channel too.
 */
public final class UpstreamBudget {

    /** Which cap refused a connection. */
    public enum Refusal {
        PER_BACKEND("max_upstream_connections_per_backend"),
        TOTAL("max_upstream_connections");

        private final String label;

        Refusal(String label) {
            this.label = label;
        }

        /** The {@code reason} label of the refusal metric. */
        public String label() {
            return label;
        }
    }

    private final ConcurrentHashMap<UpstreamTarget, Integer> perTarget = new ConcurrentHashMap<>();
    private final AtomicInteger total = new AtomicInteger();

    /**
     * Takes a slot for one more connection to {@code target}.
     *
     * @return null when taken (then {@link #release} must follow once), else the cap that refused
     */
    Refusal tryAcquire(UpstreamTarget target, int maxPerBackend, int maxTotal) {
        for (int current = total.get(); ; current = total.get()) {
            if (current >= maxTotal) {
                return Refusal.TOTAL;
            }
            if (total.compareAndSet(current, current + 1)) {
                break;
            }
        }
        boolean[] taken = {false};
        perTarget.compute(target, (t, count) -> {
            int current = count == null ? 0 : count;
            if (current >= maxPerBackend) {
                return count;
            }
            taken[0] = true;
            return current + 1;
        });
        if (!taken[0]) {
            total.decrementAndGet();
            return Refusal.PER_BACKEND;
        }
        return null;
    }

    void release(UpstreamTarget target) {
        Integer[] before = {null};
        perTarget.computeIfPresent(target, (t, count) -> {
            before[0] = count;
            return count <= 1 ? null : count - 1;
        });
        if (before[0] == null) {
            throw new IllegalStateException("released an upstream connection to " + target + " that was not counted");
        }
        total.decrementAndGet();
    }

    /** Upstream connections counted now, connecting, in use or idle. */
    public int total() {
        return total.get();
    }

    /** Upstream connections counted now to {@code target}. */
    public int of(UpstreamTarget target) {
        return perTarget.getOrDefault(target, 0);
    }
}
