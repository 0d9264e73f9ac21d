package dev.portico.runtime.server;

import dev.portico.runtime.config.ConfigHolder;
import dev.portico.runtime.proxy.ProxyServices;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;

/**
 * The pipeline of a TLS client connection, once {@link ClientConnections} admitted it (after the
 * PROXY header, with spec.proxyProtocol): SNI picks the certificate from the config
 * serving at handshake time (so a rotated certificate applies to the next handshake and
 * open connections keep theirs) and staples its OCSP response, then ALPN picks HTTP/2 or
 * HTTP/1.1.
 */
public final class TlsChannelInitializer extends ChannelInitializer<Channel> {

    static final long HANDSHAKE_TIMEOUT_MILLIS = 10_000;

    private final ProxyServices services;
    private final ConnectionsPerClient perClient;

    public TlsChannelInitializer(ProxyServices services, ConnectionsPerClient perClient) {
        this.services = services;
        this.perClient = perClient;
    }

    @Override
    protected void initChannel(Channel channel) {
        ClientConnections.accept(channel, services, perClient, pipeline -> {
            ConfigHolder config = services.config();
            pipeline.addLast("sni", new StaplingSniHandler(config, HANDSHAKE_TIMEOUT_MILLIS));
            pipeline.addLast("alpn", new AlpnHandler(services));
        });
    }
}
