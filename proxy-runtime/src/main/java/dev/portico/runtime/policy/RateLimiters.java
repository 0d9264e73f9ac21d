package dev.portico.runtime.policy;

import dev.portico.crds.v1alpha1.RateLimit;

/**
 * Keeps the site's rate limiter across reloads while its settings stay the same, so a
 * route change does not hand every client a full bucket.
 */
public final class RateLimiters {

    private RateLimiter current;

    /** The limiter for {@code spec}, or null when the site has none. */
    public synchronized RateLimiter forSpec(RateLimit spec) {
        if (spec == null) {
            current = null;
            return null;
        }
        int rps = spec.requestsPerSecond();
        int burst = spec.burst() == null ? rps : spec.burst();
        if (current == null || !current.sameSettings(rps, burst)) {
            current = new RateLimiter(rps, burst);
        }
        return current;
    }
}
