package dev.portico.runtime.policy;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.net.InetAddress;
import java.time.Duration;

/**
 * {@code rateLimit}: one token bucket per resolved client IP. The buckets live in a
 * size-bounded Caffeine cache, so a flood of distinct (or spoofed-through-a-trusted-hop)
 * addresses costs at most {@link #MAX_CLIENTS} buckets: the least recently seen are
 * forgotten, which only ever gives a forgotten client a fresh, full bucket.
 */
public final class RateLimiter {

    static final int MAX_CLIENTS = 100_000;

    private final double tokensPerNano;
    private final double burst;
    private final Cache<InetAddress, Bucket> buckets;

    public RateLimiter(int requestsPerSecond, int burst) {
        this.tokensPerNano = requestsPerSecond / 1e9;
        this.burst = burst;
        this.buckets = Caffeine.newBuilder()
                .maximumSize(MAX_CLIENTS)
                // A bucket idle long enough to be full again carries no information.
                .expireAfterAccess(Duration.ofNanos((long) Math.ceil(burst / tokensPerNano)).plusSeconds(1))
                .build();
    }

    public boolean sameSettings(int requestsPerSecond, int burst) {
        return Math.abs(tokensPerNano - requestsPerSecond / 1e9) < 1e-15 && this.burst == burst;
    }

    /**
     * Takes a token for {@code client}.
     *
     * @return 0 when the request may pass, else the whole seconds until a token is back
     *         (the Retry-After value, at least 1)
     */
    public long acquire(InetAddress client) {
        return buckets.get(client, c -> new Bucket(burst, System.nanoTime())).take(tokensPerNano, burst);
    }

    /** Cached bucket count; for tests of the memory bound. */
    long trackedClients() {
        buckets.cleanUp();
        return buckets.estimatedSize();
    }

    private static final class Bucket {
        private double tokens;
        private long refilledAt;

        Bucket(double tokens, long now) {
            this.tokens = tokens;
            this.refilledAt = now;
        }

        synchronized long take(double tokensPerNano, double burst) {
            long now = System.nanoTime();
            tokens = Math.min(burst, tokens + (now - refilledAt) * tokensPerNano);
            refilledAt = now;
            if (tokens >= 1) {
                tokens -= 1;
                return 0;
            }
            double waitNanos = (1 - tokens) / tokensPerNano;
            return Math.max(1, (long) Math.ceil(waitNanos / 1e9));
        }
    }
}
