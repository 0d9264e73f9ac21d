package dev.portico.operator.acme;

import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** Whether a site's ACME certificate needs an order now, and why (for the status and the log). */
final class OrderDecision {

    private OrderDecision() {}

    /**
     * @param leaf    the certificate the Secret holds, or null when there is none (or only a placeholder)
     * @param hosts   the names the certificate must cover (normalised tls.acme.hosts)
     * @param renewAt when {@code leaf} is due ({@link RenewalTime}); ignored without a leaf
     * @return why an order is due, or null when the certificate is good
     */
    static String due(X509Certificate leaf, List<String> hosts, Instant renewAt, Instant now) {
        if (leaf == null) {
            return "no certificate yet";
        }
        Set<String> names = AcmeCertificates.names(leaf);
        List<String> missing = hosts.stream().filter(h -> !names.contains(h.toLowerCase(Locale.ROOT))).toList();
        if (!missing.isEmpty()) {
            return "the certificate does not cover " + String.join(", ", missing);
        }
        if (!now.isBefore(leaf.getNotAfter().toInstant())) {
            return "the certificate expired on " + leaf.getNotAfter().toInstant();
        }
        if (!now.isBefore(renewAt)) {
            return "renewal due since " + renewAt;
        }
        return null;
    }
}
