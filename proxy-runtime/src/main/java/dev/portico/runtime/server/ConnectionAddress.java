package dev.portico.runtime.server;

import io.netty.channel.Channel;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.AttributeKey;
import java.net.InetSocketAddress;

/**
 * The one place that says where a client connection comes from: its TCP peer or, on a site with
 * {@code spec.proxyProtocol}, the address the load balancer's PROXY header carried. Set once per
 * connection by {@link ClientConnections}, before any HTTP or TLS byte is read; everything that needs
 * the peer (trusted-proxy decisions and the forwarded headers, access control, rate limits, the
 * per-client limits, the access log) reads it here. HTTP/2 streams read their connection's.
 */
public final class ConnectionAddress {

    private static final AttributeKey<InetSocketAddress> PEER = AttributeKey.valueOf(ConnectionAddress.class, "peer");

    private ConnectionAddress() {}

    static void set(Channel connection, InetSocketAddress peer) {
        connection.attr(PEER).set(peer);
    }

    /**
     * The peer of {@code channel}'s connection; the TCP peer when none was set (a listener without
     * client connections of its own, such as the admin port), or null when the channel has no IP peer.
     */
    public static InetSocketAddress of(Channel channel) {
        Channel connection = channel instanceof Http2StreamChannel ? channel.parent() : channel;
        InetSocketAddress peer = connection.attr(PEER).get();
        if (peer != null) {
            return peer;
        }
        return connection.remoteAddress() instanceof InetSocketAddress remote ? remote : null;
    }
}
