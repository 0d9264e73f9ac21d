package dev.portico.operator.pki;

import java.time.Duration;
import java.time.Instant;
import java.security.cert.X509Certificate;

/**
 * How long the admin CA and the pods' admin certificates live. Each is replaced once two
 * thirds of its life have passed, leaving a third for delivery and for anything that goes
 * wrong meanwhile (30 days of a 90-day certificate).
 *
 * @param ca      the admin CA's validity (default 365 days)
 * @param serving a pod's admin certificate's validity (default 90 days; never past its CA's end)
 */
public record Lifetimes(Duration ca, Duration serving) {

    public static final Lifetimes DEFAULT = new Lifetimes(Duration.ofDays(365), Duration.ofDays(90));

    /**
     * @throws IllegalArgumentException unless both are positive and the serving lifetime is at most a
     *     third of the CA's: the CA rotates two thirds into its life, and must still be able to issue a
     *     full-length certificate until then
     */
    public Lifetimes {
        if (ca.isNegative() || ca.isZero() || serving.isNegative() || serving.isZero()) {
            throw new IllegalArgumentException("lifetimes must be positive: CA " + ca + ", serving " + serving);
        }
        if (serving.multipliedBy(3).compareTo(ca) > 0) {
            throw new IllegalArgumentException("the admin certificates' lifetime (" + serving
                    + ") must be at most a third of the admin CA's (" + ca + ")");
        }
    }

    /**
     * When {@code certificate} is due for replacement: two thirds into its life, counted over
     * the shorter of its own life and {@code configured}, so a certificate made under a longer
     * setting is replaced on the new schedule, and one made under a shorter one before it ends.
     */
    static Instant renewAt(X509Certificate certificate, Duration configured) {
        Instant from = certificate.getNotBefore().toInstant();
        Duration own = Duration.between(from, certificate.getNotAfter().toInstant());
        Duration life = own.compareTo(configured) < 0 ? own : configured;
        return from.plus(life.multipliedBy(2).dividedBy(3));
    }
}
