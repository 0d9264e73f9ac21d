package dev.portico.runtime.tls;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;

/**
 * TLS towards backends ({@code protocol: HTTPS}): SNI and verification of the chain and
 * the name against the system trust store, or no verification at all for
 * {@code insecureSkipVerify} (the "No TLS Verify" of tunnel setups, where the backend
 * serves a self-signed certificate on a private network).
 */
public final class UpstreamTlsContexts {

    private final SslContext verifying;
    private final SslContext insecure;

    public UpstreamTlsContexts() {
        try {
            verifying = SslContextBuilder.forClient()
                    .sslProvider(ServerTlsContexts.provider())
                    .protocols("TLSv1.3", "TLSv1.2")
                    .build();
            insecure = SslContextBuilder.forClient()
                    .sslProvider(ServerTlsContexts.provider())
                    .protocols("TLSv1.3", "TLSv1.2")
                    .trustManager(InsecureTrustManagerFactory.INSTANCE)
                    .build();
        } catch (SSLException e) {
            throw new IllegalStateException("cannot build the upstream TLS contexts", e);
        }
    }

    /** A handler that sends {@code serverName} as SNI and checks the certificate unless told not to. */
    public SslHandler newHandler(ByteBufAllocator alloc, String host, int port, String serverName,
                                 boolean insecureSkipVerify) {
        SslContext context = insecureSkipVerify ? insecure : verifying;
        SSLEngine engine = context.newEngine(alloc, serverName, port);
        if (!insecureSkipVerify) {
            SSLParameters parameters = engine.getSSLParameters();
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            engine.setSSLParameters(parameters);
        }
        return new SslHandler(engine);
    }
}
