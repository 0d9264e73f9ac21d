package dev.portico.runtime.server;

import dev.portico.runtime.config.ConfigHolder;
import dev.portico.runtime.tls.TlsConfig;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.SniHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;

/**
 * Picks the certificate by SNI from the config serving at handshake time, and hands the
 * new engine that certificate's OCSP response before the handshake starts. The response
 * is fetched in the background ({@code OcspStapling}); here it is one volatile read.
 */
final class StaplingSniHandler extends SniHandler {

    private final Selection selection;

    StaplingSniHandler(ConfigHolder config, long handshakeTimeoutMillis) {
        this(config, new Selection(), handshakeTimeoutMillis);
    }

    private StaplingSniHandler(ConfigHolder config, Selection selection, long handshakeTimeoutMillis) {
        super(serverName -> selection.select(config, serverName), handshakeTimeoutMillis);
        this.selection = selection;
    }

    @Override
    protected SslHandler newSslHandler(SslContext context, ByteBufAllocator allocator) {
        SslHandler handler = super.newSslHandler(context, allocator);
        byte[] staple = selection.entry == null ? null : selection.entry.staple().response();
        if (staple != null && handler.engine() instanceof ReferenceCountedOpenSslEngine engine) {
            try {
                engine.setOcspResponse(staple);
            } catch (RuntimeException e) {
                // The handler never reaches the pipeline, so nothing else would free the native engine.
                ReferenceCountUtil.safeRelease(engine);
                throw e;
            }
        }
        return handler;
    }

    /** The entry chosen for this connection (one lookup per connection, on its event loop). */
    private static final class Selection {
        private TlsConfig.Entry entry;

        SslContext select(ConfigHolder config, String serverName) {
            TlsConfig tls = config.current().tls();
            // A site that dropped TLS in a reload refuses new handshakes; null fails this one.
            entry = tls == null ? null : tls.select(serverName);
            return entry == null ? null : entry.context();
        }
    }
}
