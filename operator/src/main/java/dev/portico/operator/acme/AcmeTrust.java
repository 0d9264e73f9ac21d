package dev.portico.operator.acme;

import dev.portico.operator.pki.Pem;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.spec.ECGenParameterSpec;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.shredzone.acme4j.Session;
import org.shredzone.acme4j.connector.HttpConnector;
import org.shredzone.acme4j.connector.NetworkSettings;
import org.shredzone.acme4j.provider.GenericAcmeProvider;

/**
 * How the operator reaches ACME directories: the JDK's trusted roots, plus the CAs of
 * {@code PORTICO_ACME_CA_FILE} when set (a private ACME CA such as step-ca or Pebble, whose
 * server certificate no public root signs). The file is the operator's, not a site's: which
 * servers the operator trusts with its account keys is the cluster admin's call, as a
 * ClusterIssuer's caBundle is in cert-manager.
 */
public final class AcmeTrust {

    /**
     * Per request to the CA, from connecting until the response's headers (acme4j sets it as the HTTP client's
     * connect timeout and each request's timeout): a slow CA fails the attempt as CAUnreachable, retried with
     * backoff, instead of holding the one ACME worker. acme4j's own default is 10 s; 30 s leaves a loaded CA room.
     */
    static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final SSLContext context;
    private final Duration timeout;

    /**
     * A new EC P-256 key pair (accounts and certificates), made by the JDK. Not acme4j's KeyPairUtils, which
     * asks for Bouncy Castle's provider by name: registering that provider would change what other code of
     * the operator gets from the JCA (Bouncy Castle's PEM converter then makes "ECDSA" keys).
     */
    static KeyPair newKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every JDK has P-256", e);
        }
    }

    private AcmeTrust(SSLContext context, Duration timeout) {
        this.context = context;
        this.timeout = timeout;
    }

    /** The same trust with another per-request timeout (tests: a slow CA without waiting {@link #TIMEOUT}). */
    AcmeTrust withTimeout(Duration timeout) {
        return new AcmeTrust(context, timeout);
    }

    /** @param caFile PEM certificates trusted in addition to the JDK's, or null */
    public static AcmeTrust of(Path caFile) {
        if (caFile == null) {
            return new AcmeTrust(null, TIMEOUT);
        }
        try {
            List<X509Certificate> extra = Pem.readCertificates(Files.readString(caFile));
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            TrustManagerFactory jdk = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            jdk.init((KeyStore) null);
            int i = 0;
            for (var manager : jdk.getTrustManagers()) {
                if (manager instanceof X509TrustManager x509) {
                    for (X509Certificate root : x509.getAcceptedIssuers()) {
                        store.setCertificateEntry("jdk-" + i++, root);
                    }
                }
            }
            for (X509Certificate certificate : extra) {
                store.setCertificateEntry("extra-" + i++, certificate);
            }
            TrustManagerFactory combined = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            combined.init(store);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, combined.getTrustManagers(), null);
            return new AcmeTrust(context, TIMEOUT);
        } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalArgumentException("PORTICO_ACME_CA_FILE " + caFile + ": " + e.getMessage(), e);
        }
    }

    /** A session with the directory at {@code directory}, over this trust. */
    public Session session(String directory) {
        Session session = new Session(URI.create(directory), new Provider(context));
        session.networkSettings().setTimeout(timeout);
        return session;
    }

    /** acme4j's generic provider (any https directory) with our TLS trust. */
    private static final class Provider extends GenericAcmeProvider {
        private final SSLContext context;

        Provider(SSLContext context) {
            this.context = context;
        }

        @Override
        protected HttpConnector createHttpConnector(NetworkSettings settings) {
            return new HttpConnector(settings) {
                @Override
                public HttpClient.Builder createClientBuilder() {
                    HttpClient.Builder builder = super.createClientBuilder();
                    return context == null ? builder : builder.sslContext(context);
                }
            };
        }
    }
}
