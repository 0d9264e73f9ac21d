package dev.portico.runtime.policy;

import java.net.InetAddress;

/**
 * {@code rateLimit}: one token bucket per resolved client IP. The buckets live in a size-bounded cache
 * ({@link TokenBuckets}) shared by the limiters of a runtime, so a flood of distinct (or
 * spoofed-through-a-trusted-hop) addresses costs at most {@link #MAX_CLIENTS} buckets, whatever the number of
 * routes with a limit of their own: the least recently seen are forgotten, which only ever gives a forgotten client
 * a fresh, full bucket.
 */
public final class RateLimiter {

    static final int MAX_CLIENTS = TokenBuckets.MAX_BUCKETS;

    private final double tokensPerNano;
    private final double burst;
    private final long idleNanos;
    private final TokenBuckets buckets;

    /** A limiter with buckets of its own (tests). */
    public RateLimiter(int requestsPerSecond, int burst) {
        this(requestsPerSecond, burst, new TokenBuckets(MAX_CLIENTS));
    }

    RateLimiter(int requestsPerSecond, int burst, TokenBuckets buckets) {
        this.tokensPerNano = requestsPerSecond / 1e9;
        this.burst = burst;
        this.idleNanos = (long) Math.ceil(burst / tokensPerNano) + 1_000_000_000L;
        this.buckets = buckets;
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
        return buckets.bucket(this, client).take(tokensPerNano, burst);
    }

    /** How long a bucket of this limiter takes to be full again, and one second more. */
    long idleNanos() {
        return idleNanos;
    }

    Bucket newBucket() {
        return new Bucket(burst, System.nanoTime());
    }

    /** This limiter's buckets are no longer needed: a config with other settings replaced it. */
    void forget() {
        buckets.forget(this);
    }

    /** Cached bucket count; for tests of the memory bound. */
    long trackedClients() {
        return buckets.size(this);
    }

    static final class Bucket {
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
