package dev.portico.runtime.server;

import dev.portico.runtime.config.ConfigHolder;
import dev.portico.runtime.proxy.ProxyServices;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;

/**
 * The pipeline of a TLS client connection: SNI picks the certificate from the config
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
        if (!perClient.admit(channel, services)) {
            return;
        }
        Http1ChannelInitializer.countConnection(channel, services);
        ConfigHolder config = services.config();
        channel.pipeline().addLast("sni", new StaplingSniHandler(config, HANDSHAKE_TIMEOUT_MILLIS));
        channel.pipeline().addLast("alpn", new AlpnHandler(services));
    }
}
