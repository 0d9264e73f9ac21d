package dev.portico.runtime.tls;

import dev.portico.crds.InvalidProxySiteException;
import dev.portico.crds.v1alpha1.TlsVersion;
import dev.portico.crds.validation.Violation;
import io.netty.handler.ssl.SslContext;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.SSLException;

/**
 * The admin listener's certificate: the secret {@code --admin-tls-secret} names, read from the
 * same bundle as the site's certificates (mounted or pushed), so a renewed certificate arrives,
 * is checked and is swapped in exactly as a site's is. The context is rebuilt only when the
 * certificate or key changed. TLS 1.2 or 1.3, HTTP/1.1 only: the kubelet, a scraper and the
 * operator are its clients.
 */
public final class AdminTlsCompiler {

    /** How a problem with the admin certificate is named in a refused bundle. */
    public static final String FLAG = "--admin-tls-secret";

    private final String secretName;
    private List<byte[]> lastChain = List.of();
    private byte[] lastKey = new byte[0];
    private SslContext last;

    public AdminTlsCompiler(String secretName) {
        this.secretName = Objects.requireNonNull(secretName);
    }

    /** @throws InvalidProxySiteException naming {@code --admin-tls-secret} when the pair cannot serve */
    public synchronized SslContext compile(SecretStore secrets) {
        try {
            CertificatePair pair = CertificatePair.load(secrets, secretName);
            List<byte[]> chain = new ArrayList<>();
            for (X509Certificate certificate : pair.chain()) {
                chain.add(certificate.getEncoded());
            }
            byte[] key = pair.key().getEncoded();
            if (last != null && Arrays.equals(key, lastKey) && sameChain(chain)) {
                return last;
            }
            SslContext context = ServerTlsContexts.build(pair, TlsVersion.TLS_1_2, false, false);
            last = context;
            lastChain = chain;
            lastKey = key;
            return context;
        } catch (CertificatePair.InvalidCertificateException e) {
            throw invalid(e.getMessage());
        } catch (CertificateEncodingException | SSLException e) {
            throw invalid("secret " + secretName + ": cannot build a TLS context (" + e.getMessage() + ")");
        }
    }

    private boolean sameChain(List<byte[]> chain) {
        if (chain.size() != lastChain.size()) {
            return false;
        }
        for (int i = 0; i < chain.size(); i++) {
            if (!Arrays.equals(chain.get(i), lastChain.get(i))) {
                return false;
            }
        }
        return true;
    }

    private static InvalidProxySiteException invalid(String message) {
        return new InvalidProxySiteException(List.of(new Violation(FLAG, message)));
    }
}
