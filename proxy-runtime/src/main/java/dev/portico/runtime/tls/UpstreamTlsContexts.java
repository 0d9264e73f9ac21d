package dev.portico.runtime.tls;

import dev.portico.runtime.routing.RouteAction.Wire;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.util.EnumMap;
import java.util.Map;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;

/**
 * TLS towards backends ({@code protocol: HTTPS}, and GRPC with {@code tls}): SNI and verification
 * of the chain and the name against the system trust store, or no verification at all for
 * {@code insecureSkipVerify} (the "No TLS Verify" of tunnel setups, where the backend
 * serves a self-signed certificate on a private network). ALPN follows the target's
 * {@link Wire}: none for HTTP/1.1 (as before HTTP/2 backends existed), {@code h2} alone for
 * HTTP/2, {@code h2, http/1.1} when the backend may pick.
 */
public final class UpstreamTlsContexts {

    private final Map<Wire, SslContext> verifying = new EnumMap<>(Wire.class);
    private final Map<Wire, SslContext> insecure = new EnumMap<>(Wire.class);

    public UpstreamTlsContexts() {
        try {
            for (Wire wire : Wire.values()) {
                verifying.put(wire, builder(wire).build());
                insecure.put(wire, builder(wire).trustManager(InsecureTrustManagerFactory.INSTANCE).build());
            }
        } catch (SSLException e) {
            throw new IllegalStateException("cannot build the upstream TLS contexts", e);
        }
    }

    private static SslContextBuilder builder(Wire wire) {
        SslContextBuilder builder = SslContextBuilder.forClient()
                .sslProvider(ServerTlsContexts.provider())
                .protocols("TLSv1.3", "TLSv1.2");
        if (wire == Wire.HTTP1) {
            return builder;
        }
        // RFC 9113 9.2: HTTP/2 over TLS 1.2 only with the ciphers it allows.
        builder.ciphers(Http2SecurityUtil.CIPHERS, SupportedCipherSuiteFilter.INSTANCE);
        return builder.applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                wire == Wire.HTTP2
                        ? new String[] {ApplicationProtocolNames.HTTP_2}
                        : new String[] {ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1}));
    }

    /** A handler that sends {@code serverName} as SNI and checks the certificate unless told not to. */
    public SslHandler newHandler(ByteBufAllocator alloc, String host, int port, String serverName,
                                 boolean insecureSkipVerify) {
        return newHandler(alloc, host, port, serverName, insecureSkipVerify, Wire.HTTP1);
    }

    /** As {@link #newHandler(ByteBufAllocator, String, int, String, boolean)}, offering the ALPN names of {@code wire}. */
    public SslHandler newHandler(ByteBufAllocator alloc, String host, int port, String serverName,
                                 boolean insecureSkipVerify, Wire wire) {
        SslContext context = (insecureSkipVerify ? insecure : verifying).get(wire);
        SSLEngine engine = context.newEngine(alloc, serverName, port);
        if (!insecureSkipVerify) {
            SSLParameters parameters = engine.getSSLParameters();
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            engine.setSSLParameters(parameters);
        }
        return new SslHandler(engine);
    }
}
