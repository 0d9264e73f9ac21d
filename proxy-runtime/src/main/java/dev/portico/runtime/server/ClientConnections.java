package dev.portico.runtime.server;

import dev.portico.runtime.config.SiteConfig;
import dev.portico.runtime.proxy.ProxyServices;
import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import java.net.InetSocketAddress;
import java.util.function.Consumer;

/**
 * What both listeners do with a new connection before their own handlers, in this order: learn
 * its client address ({@link ConnectionAddress}), from the TCP peer or, with
 * {@code spec.proxyProtocol}, from the PROXY header a trusted load balancer sends first
 * ({@link ProxyProtocolReader}); hold that address to {@code limits.maxConnectionsPerClient}; count
 * the connection; then let the listener add its protocol. The config is read once, at accept, so a
 * reload applies to connections opened after it.
 */
final class ClientConnections {

    private ClientConnections() {}

    /**
     * @param protocol adds the listener's handlers (HTTP/1.1, or SNI and ALPN) to an admitted connection
     */
    static void accept(Channel channel, ProxyServices services, ConnectionsPerClient perClient,
                       Consumer<ChannelPipeline> protocol) {
        SiteConfig config = services.config().current();
        if (config.proxyProtocol()) {
            ProxyProtocolReader.install(channel, config, services.metrics(),
                    client -> admit(channel, client, services, perClient, protocol));
        } else {
            InetSocketAddress peer = channel.remoteAddress() instanceof InetSocketAddress remote ? remote : null;
            admit(channel, peer, services, perClient, protocol);
        }
    }

    private static void admit(Channel channel, InetSocketAddress client, ProxyServices services,
                              ConnectionsPerClient perClient, Consumer<ChannelPipeline> protocol) {
        if (client != null) {
            ConnectionAddress.set(channel, client);
        }
        if (!perClient.admit(channel, services)) {
            return;
        }
        Http1ChannelInitializer.countConnection(channel, services);
        protocol.accept(channel.pipeline());
    }
}
