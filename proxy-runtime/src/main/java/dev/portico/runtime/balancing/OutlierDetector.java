package dev.portico.runtime.balancing;

import java.time.Duration;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Passive health: an endpoint that fails {@code consecutiveFailures} times in a row (connect
 * failure, reset before a response, no response in time), or answers {@code consecutive5xx}
 * 5xx in a row when that is set, is ejected for {@code baseEjection * 2^(n-1)} (n: its
 * ejections so far, capped at {@code maxEjection}); any other response resets its counts. An
 * endpoint back for a whole {@code maxEjection} without being ejected starts again at n = 0.
 * At most {@code maxEjectionPercent} of the backend's endpoints are out at once, and never all:
 * when the whole backend fails, ejecting it would only turn its errors into 503s.
 */
public final class OutlierDetector {

    /** Counts ejections for the metrics; one per runtime. */
    public interface Listener {
        void ejected(Endpoint endpoint);
    }

    /** Never ejects. */
    public static final OutlierDetector DISABLED = new OutlierDetector(false, 1, 0, Duration.ZERO, Duration.ZERO, 0,
            System::nanoTime, e -> { });

    private final boolean enabled;
    private final int consecutiveFailures;
    private final int consecutive5xx;
    private final long baseNanos;
    private final long maxNanos;
    private final int maxEjectionPercent;
    private final LongSupplier clock;
    private final Listener listener;

    /** @param consecutive5xx 0: 5xx responses do not count */
    public OutlierDetector(boolean enabled, int consecutiveFailures, int consecutive5xx, Duration baseEjection,
                           Duration maxEjection, int maxEjectionPercent, LongSupplier clock, Listener listener) {
        this.enabled = enabled;
        this.consecutiveFailures = consecutiveFailures;
        this.consecutive5xx = consecutive5xx;
        this.baseNanos = baseEjection.toNanos();
        this.maxNanos = maxEjection.toNanos();
        this.maxEjectionPercent = maxEjectionPercent;
        this.clock = clock;
        this.listener = listener;
    }

    public long now() {
        return clock.getAsLong();
    }

    /** A try that failed without a response: connect failure, reset, or timeout. */
    public void failure(Endpoint endpoint, List<Endpoint> peers) {
        if (!enabled) {
            return;
        }
        boolean reached;
        synchronized (endpoint.health) {
            reached = ++endpoint.health.consecutiveFailures >= consecutiveFailures;
        }
        if (reached) {
            eject(endpoint, peers);
        }
    }

    /** A response head from the endpoint. */
    public void response(Endpoint endpoint, int status, List<Endpoint> peers) {
        if (!enabled) {
            return;
        }
        Endpoint.Health health = endpoint.health;
        boolean counted5xx = status >= 500 && consecutive5xx > 0;
        if (!counted5xx && health.consecutiveFailures == 0 && health.consecutive5xx == 0) {
            return; // the common case: a healthy endpoint answered, nothing to reset
        }
        boolean reached = false;
        synchronized (endpoint.health) {
            endpoint.health.consecutiveFailures = 0;
            if (counted5xx) {
                reached = ++endpoint.health.consecutive5xx >= consecutive5xx;
            } else {
                endpoint.health.consecutive5xx = 0;
            }
        }
        if (reached) {
            eject(endpoint, peers);
        }
    }

    /** Ejection time of the n-th ejection (1-based): doubling from the base, capped. */
    long ejectionNanos(int n) {
        long time = baseNanos;
        for (int i = 1; i < n && time < maxNanos; i++) {
            time *= 2;
        }
        return Math.min(time, maxNanos);
    }

    /** The most endpoints of {@code total} that may be out at once: the percent, but always one left. */
    static int maxEjected(int total, int percent) {
        return Math.min(total - 1, total * percent / 100);
    }

    private void eject(Endpoint endpoint, List<Endpoint> peers) {
        long now = clock.getAsLong();
        // One decision at a time per backend, so two loops cannot both take the last ejection slot.
        synchronized (this) {
            int out = 0;
            for (Endpoint peer : peers) {
                if (peer != endpoint && peer.ejected(now)) {
                    out++;
                }
            }
            Endpoint.Health health = endpoint.health;
            synchronized (health) {
                if (health.ejectedAt(now) || out + 1 > maxEjected(peers.size(), maxEjectionPercent)) {
                    return; // already out, or the share is taken: it keeps its counts and serves on
                }
                if (health.ejections > 0 && now - health.readmittedAt > maxNanos) {
                    health.ejections = 0; // healthy for long enough: forgiven
                }
                health.ejections++;
                health.ejected = true;
                health.ejectedUntil = now + ejectionNanos(health.ejections);
                health.readmittedAt = health.ejectedUntil;
                health.consecutiveFailures = 0;
                health.consecutive5xx = 0;
            }
        }
        listener.ejected(endpoint);
    }
}
