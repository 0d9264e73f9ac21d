package dev.portico.operator.pki;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A pod's admin certificate as the site's admin Secret holds it, and the one decision about it:
 * whether it must be (re-)issued. It must when there is none, it cannot be read, its key is not
 * its own, another CA than the issuing one signed it (a CA rotation), it names other hosts than
 * the site's Service, or two thirds of its life have passed.
 */
public record ServingCertificate(List<X509Certificate> chain, PrivateKey key, String chainPem, String keyPem) {

    public X509Certificate leaf() {
        return chain.get(0);
    }

    /** The certificate of a Secret's {@code tls.crt} and {@code tls.key}, or empty when either is absent or broken. */
    public static Optional<ServingCertificate> read(String chainPem, String keyPem) {
        if (chainPem == null || keyPem == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(new ServingCertificate(Pem.readCertificates(chainPem), Pem.readPrivateKey(keyPem),
                    chainPem, keyPem));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    public static ServingCertificate of(Authority.Issued issued) {
        return new ServingCertificate(issued.chain(), issued.key(), issued.chainPem(), issued.keyPem());
    }

    /**
     * Why a new certificate is needed, or null when {@code current} serves on.
     *
     * @param current what the admin Secret holds; null when nothing (readable) is there
     * @param names   the DNS names it must carry, exactly
     */
    public static String reissueReason(ServingCertificate current, AdminCa ca, List<String> names, Instant now,
            Lifetimes lifetimes) {
        if (current == null) {
            return "none issued yet";
        }
        X509Certificate leaf = current.leaf();
        if (!ca.issuing().signed(leaf)) {
            return ca.previous() != null && leaf.getIssuerX500Principal().equals(ca.previous().getSubjectX500Principal())
                    ? "the admin CA is rotating" : "issued by another CA";
        }
        if (!keyMatches(current)) {
            return "its key does not belong to it";
        }
        List<String> carried = dnsNames(leaf);
        if (!carried.equals(names.stream().map(n -> n.toLowerCase(Locale.ROOT)).toList())) {
            return "it names " + carried + ", not " + names;
        }
        if (!now.isBefore(renewAt(current, lifetimes))) {
            return "two thirds of its life have passed (it ends " + leaf.getNotAfter().toInstant() + ")";
        }
        return null;
    }

    /** When this certificate is due for renewal. */
    public static Instant renewAt(ServingCertificate current, Lifetimes lifetimes) {
        return Lifetimes.renewAt(current.leaf(), lifetimes.serving());
    }

    /** The DNS names of a certificate's subjectAltName, lower-cased, in order. */
    public static List<String> dnsNames(X509Certificate certificate) {
        List<String> names = new ArrayList<>();
        try {
            if (certificate.getSubjectAlternativeNames() != null) {
                for (List<?> name : certificate.getSubjectAlternativeNames()) {
                    if (Integer.valueOf(2).equals(name.get(0))) {
                        names.add(((String) name.get(1)).toLowerCase(Locale.ROOT));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            return List.of();
        }
        return names;
    }

    /** Signs a fixed challenge with the key and checks it with the certificate's public key. */
    private static boolean keyMatches(ServingCertificate current) {
        try {
            Signature signature = Signature.getInstance(
                    current.key().getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA");
            byte[] challenge = "portico-admin-key-check".getBytes(StandardCharsets.US_ASCII);
            signature.initSign(current.key());
            signature.update(challenge);
            byte[] signed = signature.sign();
            signature.initVerify(current.leaf().getPublicKey());
            signature.update(challenge);
            return signature.verify(signed);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }
}
