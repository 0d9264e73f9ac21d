package dev.portico.runtime.policy;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import java.net.InetAddress;

/**
 * The token buckets of every {@link RateLimiter} of a runtime (the site's and each route's) in one size-bounded
 * Caffeine cache, keyed by limiter and client. With per-route limits a site may have hundreds of limiters; one
 * bound for all of them keeps the memory a limit costs what it was with one ({@link #MAX_BUCKETS} buckets), however
 * many routes set a limit. The least recently used bucket goes first, which only ever gives a forgotten client a
 * full bucket.
 */
final class TokenBuckets {

    /** As many as one limiter could keep before per-route limits: the memory bound SECURITY.md measures. */
    static final int MAX_BUCKETS = 100_000;

    record Key(RateLimiter limiter, InetAddress client) {}

    private final Cache<Key, RateLimiter.Bucket> cache;

    TokenBuckets(int maxBuckets) {
        this.cache = Caffeine.newBuilder()
                .maximumSize(maxBuckets)
                // A bucket idle long enough to be full again carries no information; how long that is depends
                // on its limiter's rate and burst.
                .expireAfter(new Expiry<Key, RateLimiter.Bucket>() {
                    @Override
                    public long expireAfterCreate(Key key, RateLimiter.Bucket bucket, long now) {
                        return key.limiter().idleNanos();
                    }

                    @Override
                    public long expireAfterUpdate(Key key, RateLimiter.Bucket bucket, long now, long current) {
                        return key.limiter().idleNanos();
                    }

                    @Override
                    public long expireAfterRead(Key key, RateLimiter.Bucket bucket, long now, long current) {
                        return key.limiter().idleNanos();
                    }
                })
                .build();
    }

    RateLimiter.Bucket bucket(RateLimiter limiter, InetAddress client) {
        return cache.get(new Key(limiter, client), key -> key.limiter().newBucket());
    }

    /** Drops the buckets of a limiter no config uses any more, rather than letting them wait for their expiry. */
    void forget(RateLimiter limiter) {
        cache.asMap().keySet().removeIf(key -> key.limiter() == limiter);
    }

    long size(RateLimiter limiter) {
        cache.cleanUp();
        return cache.asMap().keySet().stream().filter(key -> key.limiter() == limiter).count();
    }
}
