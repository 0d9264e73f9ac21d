package dev.portico.operator.pki;

import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The operator's admin CA as kept in its Secret: the CA that issues ({@code ca.crt},
 * {@code ca.key}) and, during a rotation, the one it replaced ({@code previous.crt}), which the
 * operator still trusts until every pod serves a certificate of the new one. The decisions are
 * pure functions of this state and the time; {@link AdminCaStore} persists them.
 *
 * <p>Rotation, hitless: {@link #rotated} makes a new issuing CA and keeps the old one trusted;
 * pods' certificates are re-issued under the new one and delivered in their bundles; once every
 * site's ready pods serve such a bundle, {@link #retired} drops the old CA.
 *
 * @param previous the CA before the last rotation, still trusted; null when none
 */
public record AdminCa(Authority issuing, X509Certificate previous) {

    public static final String CA_CERTIFICATE = "ca.crt";
    public static final String CA_KEY = "ca.key";
    public static final String PREVIOUS_CERTIFICATE = "previous.crt";

    public static AdminCa create(Instant now, Lifetimes lifetimes) {
        return new AdminCa(Authority.create(now, lifetimes.ca()), null);
    }

    /** The CAs whose certificates a pod may present: the issuing one, and the previous one during a rotation. */
    public List<X509Certificate> trusted() {
        List<X509Certificate> trusted = new ArrayList<>();
        trusted.add(issuing.certificate());
        if (previous != null) {
            trusted.add(previous);
        }
        return List.copyOf(trusted);
    }

    /** Time to make the next CA: see {@link #rotateAt}. */
    public boolean rotationDue(Instant now, Lifetimes lifetimes) {
        return !now.isBefore(rotateAt(lifetimes));
    }

    /**
     * Two thirds into the issuing CA's life, or earlier once it can no longer issue a pod
     * certificate of the full serving lifetime. Under one setting the second never comes first
     * ({@link Lifetimes} keeps the serving lifetime within a third of the CA's); it does for a CA
     * made under another setting (a shorter CA lifetime before), whose certificates would
     * otherwise be cut short at its end and be due for renewal as soon as issued.
     */
    public Instant rotateAt(Lifetimes lifetimes) {
        Instant twoThirds = Lifetimes.renewAt(issuing.certificate(), lifetimes.ca());
        Instant lastFullCertificate = issuing.certificate().getNotAfter().toInstant().minus(lifetimes.serving());
        return lastFullCertificate.isBefore(twoThirds) ? lastFullCertificate : twoThirds;
    }

    /**
     * A new issuing CA, the current one kept as previous. A rotation that finds an older previous
     * CA still there drops it: it is the one before last, and past two thirds of the last one's
     * life every pod was long since re-issued.
     */
    public AdminCa rotated(Instant now, Lifetimes lifetimes) {
        return new AdminCa(Authority.create(now, lifetimes.ca()), issuing.certificate());
    }

    /** The previous CA no longer trusted. */
    public AdminCa retired() {
        return new AdminCa(issuing, null);
    }

    public boolean rotating() {
        return previous != null;
    }

    /** The Secret's data (not base64-encoded). */
    public Map<String, String> data() {
        Map<String, String> data = new LinkedHashMap<>();
        data.put(CA_CERTIFICATE, Pem.certificates(List.of(issuing.certificate())));
        data.put(CA_KEY, Pem.privateKey(issuing.key()));
        if (previous != null) {
            data.put(PREVIOUS_CERTIFICATE, Pem.certificates(List.of(previous)));
        }
        return data;
    }

    /**
     * Reads the Secret's data (decoded).
     *
     * @throws IllegalArgumentException naming the key that is missing or broken
     */
    public static AdminCa fromData(Map<String, String> data) {
        X509Certificate certificate = only(read(data, CA_CERTIFICATE, Pem::readCertificates), CA_CERTIFICATE);
        var key = read(data, CA_KEY, Pem::readPrivateKey);
        Authority issuing = new Authority(certificate, key);
        if (!issuing.keyMatches()) {
            throw new IllegalArgumentException(CA_KEY + ": does not belong to " + CA_CERTIFICATE);
        }
        X509Certificate previous = data.get(PREVIOUS_CERTIFICATE) == null || data.get(PREVIOUS_CERTIFICATE).isBlank()
                ? null : only(read(data, PREVIOUS_CERTIFICATE, Pem::readCertificates), PREVIOUS_CERTIFICATE);
        return new AdminCa(issuing, previous);
    }

    private static <T> T read(Map<String, String> data, String key, java.util.function.Function<String, T> parse) {
        String value = data.get(key);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(key + ": is missing");
        }
        try {
            return parse.apply(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(key + ": " + e.getMessage());
        }
    }

    private static X509Certificate only(List<X509Certificate> certificates, String key) {
        if (certificates.size() != 1) {
            throw new IllegalArgumentException(key + ": must hold one certificate, holds " + certificates.size());
        }
        return certificates.get(0);
    }
}
