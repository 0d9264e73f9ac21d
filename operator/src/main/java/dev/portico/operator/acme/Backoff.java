package dev.portico.operator.acme;

import java.time.Duration;
import java.time.Instant;

/**
 * When a failed order is tried again: one minute after the first failure, doubling up to six
 * hours, and never before the CA's own Retry-After (a rate limit's, or an overloaded server's).
 * Let's Encrypt's rate limits count failed validations too, so a site whose DNS or firewall is
 * wrong must not retry every few seconds; six hours keeps a fixed mistake from waiting long.
 */
public final class Backoff {

    static final Duration FIRST = Duration.ofMinutes(1);
    static final Duration MAX = Duration.ofHours(6);

    private Backoff() {}

    /**
     * @param failures   failures in a row, this one included (1 or more)
     * @param retryAfter the CA's Retry-After, or null
     */
    public static Instant next(Instant now, int failures, Instant retryAfter) {
        Duration delay = FIRST;
        for (int i = 1; i < failures && delay.compareTo(MAX) < 0; i++) {
            delay = delay.multipliedBy(2);
        }
        if (delay.compareTo(MAX) > 0) {
            delay = MAX;
        }
        Instant ours = now.plus(delay);
        return retryAfter != null && retryAfter.isAfter(ours) ? retryAfter : ours;
    }
}
