package dev.portico.runtime.policy;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code limits.maxRequestsInFlightPerClient}: requests in progress per client address, shared by
 * every event loop. The per-client connection cap counts TCP connections, and one HTTP/2
 * connection carries up to 128 streams, each holding an upstream connection while its upload
 * lasts; this counts the requests themselves, whichever protocol carries them.
 *
 * <p>Only addresses with a request in progress are kept, and each such request needs an open
 * connection, so the map is bounded by the open connections. A caller that was admitted must
 * {@link #release} exactly once; nothing else is needed to keep the counts right.
 */
public final class InFlightLimiter {

    private final ConcurrentHashMap<InetAddress, Integer> counts = new ConcurrentHashMap<>();
    private final AtomicInteger total = new AtomicInteger();

    /**
     * Counts one more request for {@code client} unless it already has {@code max} in progress.
     *
     * @return whether the request may proceed; if so, {@link #release} must follow once
     */
    public boolean tryAcquire(InetAddress client, int max) {
        boolean[] admitted = {false};
        counts.compute(client, (address, count) -> {
            int current = count == null ? 0 : count;
            if (current >= max) {
                return count;
            }
            admitted[0] = true;
            return current + 1;
        });
        if (admitted[0]) {
            total.incrementAndGet();
        }
        return admitted[0];
    }

    /** Ends a request {@link #tryAcquire} admitted; the address is forgotten at zero. */
    public void release(InetAddress client) {
        Integer[] before = {null};
        counts.computeIfPresent(client, (address, count) -> {
            before[0] = count;
            return count <= 1 ? null : count - 1;
        });
        if (before[0] == null) {
            throw new IllegalStateException("released a request " + client + " does not have in progress");
        }
        total.decrementAndGet();
    }

    /** Requests in progress for {@code client}. */
    public int inFlight(InetAddress client) {
        return counts.getOrDefault(client, 0);
    }

    /** Requests in progress over all counted clients. */
    public int total() {
        return total.get();
    }

    /** Addresses with at least one request in progress (what the map holds). */
    public int clients() {
        return counts.size();
    }
}
