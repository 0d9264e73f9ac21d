package dev.portico.operator.pki;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.PKIXParameters;
import java.security.cert.PKIXCertPathValidatorResult;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * How the operator checks a proxy pod's admin certificate on every TLS handshake of a push. The
 * pusher connects to pod IPs, which no certificate names, so the JDK's host name check cannot be
 * used; instead the pod being pushed to is known by the address the engine connects to, and its
 * certificate must (1) chain to a CA the operator trusts now (the admin CA, and during a rotation
 * also the previous one), be valid at this moment and be meant for a TLS server, and (2) name the
 * Service of the site that pod belongs to, so a pod of another site, or anything else listening
 * on that address, is refused even with a certificate of the same CA.
 */
public final class PodTrustManager extends X509ExtendedTrustManager {

    private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";

    /** Why a pod's certificate was refused, in words for a ProxySite's status. */
    public static final class RefusedCertificate extends CertificateException {
        RefusedCertificate(String message) {
            super(message);
        }
    }

    private final Supplier<List<X509Certificate>> trusted;
    private final BiFunction<String, Integer, String> expectedName;
    private final Clock clock;

    /**
     * @param trusted      the CAs trusted at this moment
     * @param expectedName the DNS name the pod at (host, port) must present, or null when no push to
     *                     that address is under way
     */
    public PodTrustManager(Supplier<List<X509Certificate>> trusted, BiFunction<String, Integer, String> expectedName,
            Clock clock) {
        this.trusted = trusted;
        this.expectedName = expectedName;
        this.clock = clock;
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        check(chain, engine == null ? null : engine.getPeerHost(), engine == null ? -1 : engine.getPeerPort());
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        check(chain, socket == null ? null : socket.getInetAddress().getHostAddress(),
                socket == null ? -1 : socket.getPort());
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new RefusedCertificate("no pod address to check the admin certificate against");
    }

    private void check(X509Certificate[] chain, String host, int port) throws CertificateException {
        String name = host == null ? null : expectedName.apply(unbracketed(host), port);
        if (name == null) {
            throw new RefusedCertificate("no push to " + host + ":" + port + " is expected");
        }
        verify(chain, name);
    }

    /**
     * The whole check for a certificate that must name {@code expectedName}.
     *
     * @throws RefusedCertificate saying why it was refused
     */
    public void verify(X509Certificate[] chain, String expectedName) throws RefusedCertificate {
        if (chain == null || chain.length == 0) {
            throw new RefusedCertificate("the pod presented no certificate");
        }
        X509Certificate leaf = chain[0];
        Date now = Date.from(clock.instant());
        try {
            leaf.checkValidity(now);
        } catch (CertificateExpiredException e) {
            throw new RefusedCertificate("admin certificate of " + subject(leaf) + " expired on "
                    + leaf.getNotAfter().toInstant());
        } catch (CertificateNotYetValidException e) {
            throw new RefusedCertificate("admin certificate of " + subject(leaf) + " is not valid before "
                    + leaf.getNotBefore().toInstant());
        }
        X509Certificate anchor = chainToTrustedCa(leaf, now);
        try {
            anchor.checkValidity(now);
        } catch (CertificateException e) {
            throw new RefusedCertificate("admin certificate of " + subject(leaf) + " chains to a CA that is not valid now ("
                    + subject(anchor) + ", " + anchor.getNotBefore().toInstant() + " to " + anchor.getNotAfter().toInstant()
                    + ")");
        }
        try {
            List<String> purposes = leaf.getExtendedKeyUsage();
            if (purposes != null && !purposes.contains(SERVER_AUTH)) {
                throw new RefusedCertificate("admin certificate of " + subject(leaf) + " is not for TLS servers");
            }
        } catch (java.security.cert.CertificateParsingException e) {
            throw new RefusedCertificate("admin certificate of " + subject(leaf) + " cannot be read: " + e.getMessage());
        }
        List<String> names = ServingCertificate.dnsNames(leaf);
        if (!names.contains(expectedName.toLowerCase(Locale.ROOT))) {
            throw new RefusedCertificate("admin certificate names " + names + ", not " + expectedName);
        }
    }

    /** PKIX over the leaf alone (the pods' chains are leaf then CA), anchored in the CAs trusted now. */
    private X509Certificate chainToTrustedCa(X509Certificate leaf, Date now) throws RefusedCertificate {
        List<X509Certificate> cas = trusted.get();
        if (cas.isEmpty()) {
            throw new RefusedCertificate("the operator has no admin CA yet");
        }
        Set<TrustAnchor> anchors = new HashSet<>();
        for (X509Certificate ca : cas) {
            anchors.add(new TrustAnchor(ca, null));
        }
        try {
            CertPath path = CertificateFactory.getInstance("X.509").generateCertPath(List.of(leaf));
            PKIXParameters parameters = new PKIXParameters(anchors);
            parameters.setRevocationEnabled(false); // short-lived certificates; the CA publishes no CRL
            parameters.setDate(now);
            PKIXCertPathValidatorResult result =
                    (PKIXCertPathValidatorResult) CertPathValidator.getInstance("PKIX").validate(path, parameters);
            return result.getTrustAnchor().getTrustedCert();
        } catch (CertPathValidatorException e) {
            throw new RefusedCertificate("admin certificate of " + subject(leaf)
                    + " is not signed by the operator's admin CA (" + e.getMessage() + ")");
        } catch (GeneralSecurityException e) {
            throw new RefusedCertificate("admin certificate of " + subject(leaf) + " cannot be checked: " + e.getMessage());
        }
    }

    private static String subject(X509Certificate certificate) {
        return certificate.getSubjectX500Principal().getName();
    }

    private static String unbracketed(String host) {
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        throw new CertificateException("the operator is not a TLS server here");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        throw new CertificateException("the operator is not a TLS server here");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("the operator is not a TLS server here");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return trusted.get().toArray(X509Certificate[]::new);
    }
}
