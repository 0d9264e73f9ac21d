package dev.portico.runtime.tls;

import dev.portico.crds.InvalidProxySiteException;
import dev.portico.crds.v1alpha1.Tls;
import dev.portico.crds.validation.Violation;
import dev.portico.runtime.routing.HostPattern;
import dev.portico.runtime.tls.ocsp.OcspStaple;
import dev.portico.runtime.tls.ocsp.OcspStapling;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.NoSuchFileException;
import java.security.cert.CertificateEncodingException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLException;

/**
 * Loads the certificates a site names and builds their contexts. Contexts are reused
 * across reloads while their certificate, key and settings stay the same, so a route
 * change does not throw away TLS session caches and tickets. Likewise each certificate
 * chain keeps its OCSP staple while it serves; a chain that stops serving stops being
 * refreshed, and a new one starts fetching once the config holding it is accepted.
 */
public final class TlsCompiler {

    private final OcspStapling stapling;
    private Map<Key, SslContext> cache = new HashMap<>();
    /** By the chain's encoding (ByteBuffer compares content), whatever secret or settings serve it. */
    private Map<List<ByteBuffer>, OcspStaple> staples = new HashMap<>();

    private record Key(String secretName, List<byte[]> encodedChain, byte[] encodedKey, String minVersion,
                       boolean http2) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && secretName.equals(k.secretName) && minVersion.equals(k.minVersion)
                    && http2 == k.http2 && Arrays.equals(encodedKey, k.encodedKey) && sameChain(k.encodedChain);
        }

        private boolean sameChain(List<byte[]> other) {
            if (other.size() != encodedChain.size()) {
                return false;
            }
            for (int i = 0; i < other.size(); i++) {
                if (!Arrays.equals(other.get(i), encodedChain.get(i))) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public int hashCode() {
            return secretName.hashCode() * 31 + Arrays.hashCode(encodedKey);
        }
    }

    public TlsCompiler(OcspStapling stapling) {
        this.stapling = stapling;
    }

    /**
     * @param secrets where the PEMs of the secrets {@code tls} names are read from
     * @throws InvalidProxySiteException naming every certificate that cannot serve
     */
    public synchronized TlsConfig compile(Tls tls, boolean http2, SecretStore secrets) {
        Map<Key, SslContext> next = new HashMap<>();
        Map<List<ByteBuffer>, OcspStaple> nextStaples = new HashMap<>();
        List<TlsConfig.Entry> entries = new ArrayList<>();
        List<Violation> problems = new ArrayList<>();
        for (int i = 0; i < tls.certificates().size(); i++) {
            Tls.Certificate certificate = tls.certificates().get(i);
            try {
                CertificatePair pair = absent(secrets, certificate.secretName())
                        ? PlaceholderCertificates.forSecret(certificate.secretName(), certificate.hosts())
                        : CertificatePair.load(secrets, certificate.secretName());
                Key key = key(pair, tls.minVersion().name(), http2);
                List<ByteBuffer> chain = key.encodedChain().stream().map(ByteBuffer::wrap).toList();
                OcspStaple staple = nextStaples.get(chain);
                if (staple == null) {
                    staple = staples.get(chain);
                }
                if (staple == null) {
                    staple = stapling.stapleFor(certificate.secretName(), pair.chain());
                }
                SslContext context = cache.get(key);
                if (context == null) {
                    context = ServerTlsContexts.build(pair, tls.minVersion(), http2, staple.enabled());
                }
                next.put(key, context);
                nextStaples.put(chain, staple);
                entries.add(new TlsConfig.Entry(certificate.secretName(),
                        certificate.hosts().stream().map(HostPattern::parse).toList(), context, staple,
                        pair.leaf().getNotAfter().toInstant()));
            } catch (CertificatePair.InvalidCertificateException e) {
                problems.add(new Violation("spec.tls.certificates[" + i + "].secretName", e.getMessage()));
            } catch (SSLException e) {
                problems.add(new Violation("spec.tls.certificates[" + i + "].secretName", "secret "
                        + certificate.secretName() + ": cannot build a TLS context (" + e.getMessage() + ")"));
            }
        }
        if (!problems.isEmpty()) {
            throw new InvalidProxySiteException(problems);
        }
        cache = next;
        replaceStaples(nextStaples);
        return new TlsConfig(List.copyOf(entries), !Boolean.FALSE.equals(tls.httpRedirect()));
    }

    /** Neither file of the secret exists: it was not made yet (one half missing is a broken secret, refused). */
    private static boolean absent(SecretStore secrets, String secretName) {
        for (String file : List.of(SecretStore.CERTIFICATE, SecretStore.PRIVATE_KEY)) {
            try {
                secrets.read(secretName, file);
                return false;
            } catch (NoSuchFileException e) {
                // absent: look at the other half
            } catch (IOException e) {
                return false; // unreadable: CertificatePair.load says why
            }
        }
        return true;
    }

    /** The site no longer serves TLS: stop refreshing every staple. */
    public synchronized void release() {
        cache = new HashMap<>();
        replaceStaples(new HashMap<>());
    }

    private void replaceStaples(Map<List<ByteBuffer>, OcspStaple> next) {
        for (var entry : next.entrySet()) {
            if (staples.get(entry.getKey()) != entry.getValue()) {
                stapling.start(entry.getValue());
            }
        }
        for (var entry : staples.entrySet()) {
            if (next.get(entry.getKey()) != entry.getValue()) {
                stapling.stop(entry.getValue());
            }
        }
        staples = next;
    }

    private static Key key(CertificatePair pair, String minVersion, boolean http2)
            throws CertificatePair.InvalidCertificateException {
        List<byte[]> chain = new ArrayList<>();
        try {
            for (var cert : pair.chain()) {
                chain.add(cert.getEncoded());
            }
        } catch (CertificateEncodingException e) {
            throw new CertificatePair.InvalidCertificateException("secret " + pair.secretName() + ": " + e.getMessage());
        }
        return new Key(pair.secretName(), chain, pair.key().getEncoded(), minVersion, http2);
    }
}
