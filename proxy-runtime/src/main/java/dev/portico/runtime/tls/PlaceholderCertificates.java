package dev.portico.runtime.tls;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the TLS listener serves for a certificate whose Secret does not exist at all yet (neither
 * {@code tls.crt} nor {@code tls.key}): a self-signed certificate for its hosts, so the site starts
 * and its plain-HTTP side (ACME challenges above all) works until the real one is there. In a cluster
 * the operator already puts its own placeholder in the bundle; this is the runtime outside one.
 * One per secret and hosts for the runtime's life, so a reload keeps its TLS context.
 */
final class PlaceholderCertificates {

    private static final Logger LOG = LoggerFactory.getLogger(PlaceholderCertificates.class);
    static final String SUBJECT = "CN=Portico placeholder (certificate pending),O=portico.dev";
    private static final Map<String, CertificatePair> MADE = new ConcurrentHashMap<>();

    private PlaceholderCertificates() {}

    static CertificatePair forSecret(String secretName, List<String> hosts) {
        return MADE.computeIfAbsent(secretName + "|" + String.join(",", hosts), key -> {
            LOG.warn("secret {} does not exist: serving a self-signed placeholder for {} until it does", secretName,
                    hosts);
            return make(secretName, hosts);
        });
    }

    private static CertificatePair make(String secretName, List<String> hosts) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            KeyPair keys = generator.generateKeyPair();
            Instant now = Instant.now();
            X500Name name = new X500Name(SUBJECT);
            var builder = new JcaX509v3CertificateBuilder(name, new BigInteger(127, new SecureRandom()).add(BigInteger.ONE),
                    Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(Duration.ofDays(3650))), name,
                    keys.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(hosts.stream()
                            .map(h -> new GeneralName(GeneralName.dNSName, h)).toArray(GeneralName[]::new)));
            X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
            return new CertificatePair(secretName, List.of(certificate), keys.getPrivate());
        } catch (GeneralSecurityException | org.bouncycastle.operator.OperatorCreationException
                 | org.bouncycastle.cert.CertIOException e) {
            throw new IllegalStateException("cannot make a placeholder certificate", e);
        }
    }
}
