package dev.portico.operator.acme;

import java.time.Duration;
import java.time.Instant;

/**
 * When a certificate is renewed: two thirds into its life (Let's Encrypt's own advice, and
 * cert-manager's default), or earlier when the CA's ACME Renewal Info (RFC 9773) suggests a
 * window that opens sooner, for instance because it is about to revoke the certificate. Within
 * the CA's window the time is spread by {@code spread} (RFC 9773 section 4.2: pick a random
 * point, so that renewals of many clients do not arrive together).
 */
public final class RenewalTime {

    private RenewalTime() {}

    /** The CA's suggested window, from its renewalInfo resource. */
    public record Window(Instant start, Instant end) {}

    /**
     * @param window the CA's window, or null when it offers none (or it could not be fetched)
     * @param spread a number in [0, 1): where in the window to renew
     */
    public static Instant of(Instant notBefore, Instant notAfter, Window window, double spread) {
        Instant twoThirds = notBefore.plus(Duration.between(notBefore, notAfter).multipliedBy(2).dividedBy(3));
        if (window == null || !window.end().isAfter(window.start())) {
            return twoThirds;
        }
        long span = Duration.between(window.start(), window.end()).toMillis();
        Instant inWindow = window.start().plusMillis((long) (span * Math.max(0, Math.min(spread, 0.999))));
        return inWindow.isBefore(twoThirds) ? inWindow : twoThirds;
    }
}
