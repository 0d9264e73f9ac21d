package dev.portico.runtime.tls;

import dev.portico.crds.v1alpha1.TlsVersion;
import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLException;

/**
 * Builds the server-side {@link SslContext} of one certificate with the project's TLS
 * policy: BoringSSL when it loads (faster, and session tickets), the JDK otherwise;
 * TLS 1.2 or 1.3 only; AEAD cipher suites only (the HTTP/2 list of RFC 7540 appendix A
 * exclusions, which is exactly the modern ECDHE+AEAD set); ALPN h2 and http/1.1; OCSP
 * stapling for certificates that have a responder, when the provider can staple.
 */
public final class ServerTlsContexts {

    /** The type of the transient key store Netty builds per certificate (see {@link #build}). */
    static final String IN_MEMORY_KEY_STORE = "JKS";

    private ServerTlsContexts() {}

    public static SslProvider provider() {
        return OpenSsl.isAvailable() && SslProvider.isAlpnSupported(SslProvider.OPENSSL)
                ? SslProvider.OPENSSL : SslProvider.JDK;
    }

    /** Whether engines can be handed an OCSP response to staple (BoringSSL/OpenSSL can, the JDK's provider cannot). */
    public static boolean staplingSupported() {
        return provider() == SslProvider.OPENSSL && OpenSsl.isOcspSupported();
    }

    /**
     * @param stapling build for stapling: each engine is then given the certificate's current
     *                 response before its handshake (only when {@link #staplingSupported()})
     */
    public static SslContext build(CertificatePair pair, TlsVersion minVersion, boolean http2, boolean stapling)
            throws SSLException {
        String[] protocols = minVersion == TlsVersion.TLS_1_3
                ? new String[] {"TLSv1.3"} : new String[] {"TLSv1.3", "TLSv1.2"};
        List<String> alpn = http2
                ? List.of(ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1)
                : List.of(ApplicationProtocolNames.HTTP_1_1);
        return SslContextBuilder.forServer(pair.key(), pair.chain().toArray(X509Certificate[]::new))
                .sslProvider(provider())
                // Netty hands the key to the provider through an in-memory key store. The JDK's default
                // type (PKCS12) encrypts the key on the way in and decrypts it on the way out with 10,000
                // rounds of PBKDF2 each: about half a second of CPU per certificate before the JIT has
                // compiled it, at start-up and at every reload, and the largest method C2 compiles while
                // starting. The store never leaves memory, so JKS's light key wrapping loses nothing.
                .keyStoreType(IN_MEMORY_KEY_STORE)
                .protocols(protocols)
                .ciphers(Http2SecurityUtil.CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
                .applicationProtocolConfig(new ApplicationProtocolConfig(
                        ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                        alpn))
                .enableOcsp(stapling)
                .build();
    }
}
