package dev.portico.operator.pki;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;

/**
 * The self-signed certificate a site's TLS listener serves for a Secret that does not exist yet
 * (an ACME order pending, cert-manager not done): the site starts, plain HTTP answers challenges,
 * and browsers see an untrusted certificate rather than a refused connection. Its subject says
 * what it is, so anyone who looks knows. The operator keeps the one in the bundle while it still
 * names the same hosts, so the bundle (and its hash) does not change on every reconcile.
 */
public final class Placeholder {

    static final String SUBJECT = "CN=Portico placeholder (certificate pending),O=portico.dev";
    private static final Duration VALIDITY = Duration.ofDays(90);
    /** A placeholder this close to its end is made anew. */
    private static final Duration RENEW_BEFORE = Duration.ofDays(30);

    private Placeholder() {}

    /** A new placeholder for {@code hosts} (wildcards allowed: nobody validates it). */
    public static Authority.Issued issue(List<String> hosts, Instant now) {
        KeyPair keys = Authority.newKeyPair();
        X500Name name = new X500Name(SUBJECT);
        try {
            var builder = new JcaX509v3CertificateBuilder(name, Authority.serial(),
                    Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(VALIDITY)), name, keys.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth))
                    .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(hosts.stream()
                            .map(h -> new GeneralName(GeneralName.dNSName, h)).toArray(GeneralName[]::new)));
            return new Authority.Issued(List.of(Authority.sign(builder, keys.getPrivate())), keys.getPrivate());
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot make a placeholder certificate", e);
        }
    }

    /** Whether {@code chainPem} is a placeholder for exactly {@code hosts} that need not be replaced yet. */
    public static boolean reusable(String chainPem, List<String> hosts, Instant now) {
        if (chainPem == null) {
            return false;
        }
        List<X509Certificate> chain;
        try {
            chain = Pem.readCertificates(chainPem);
        } catch (RuntimeException e) {
            return false;
        }
        if (chain.size() != 1 || !is(chain.get(0))) {
            return false;
        }
        X509Certificate leaf = chain.get(0);
        return leaf.getNotAfter().toInstant().isAfter(now.plus(RENEW_BEFORE))
                && new HashSet<>(ServingCertificate.dnsNames(leaf)).equals(new HashSet<>(hosts));
    }

    /** Whether {@code certificate} is one of these placeholders. */
    public static boolean is(X509Certificate certificate) {
        return X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()).equals(new X500Name(SUBJECT));
    }
}
