package dev.portico.runtime.server;

import dev.portico.runtime.config.SiteConfig;
import dev.portico.runtime.proxy.ProxyServices;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code limits.maxConnectionsPerClient}: open client connections per TCP peer address,
 * over both listeners, checked at accept. A connection over the cap is reset before any
 * byte is read, so one address cannot take all of the runtime's file descriptors with
 * idle or slow connections. Peers the site trusts as proxies are neither counted nor
 * limited: behind a load balancer every client shares its address. Only addresses with
 * an open connection are kept, so memory follows the open connections.
 */
public final class ConnectionsPerClient {

    private static final Logger LOG = LoggerFactory.getLogger(ConnectionsPerClient.class);

    private final ConcurrentHashMap<InetAddress, Integer> open = new ConcurrentHashMap<>();

    /**
     * Counts {@code channel} against its peer, or closes it when the peer is at the cap.
     *
     * @return whether the connection may be served
     */
    boolean admit(Channel channel, ProxyServices services) {
        if (!(channel.remoteAddress() instanceof InetSocketAddress remote) || remote.getAddress() == null) {
            return true;
        }
        InetAddress peer = remote.getAddress();
        // Read at accept, like the other limits: a reload applies to connections opened after it.
        SiteConfig config = services.config().current();
        if (config.trust().trustsPeer(peer)) {
            return true;
        }
        int max = config.limits().maxConnectionsPerClient();
        boolean[] admitted = {false};
        open.compute(peer, (address, count) -> {
            int current = count == null ? 0 : count;
            if (current >= max) {
                return count;
            }
            admitted[0] = true;
            return current + 1;
        });
        if (!admitted[0]) {
            refuse(channel, peer, max, services);
            return false;
        }
        channel.closeFuture().addListener(f -> open.computeIfPresent(peer, (address, count) -> count <= 1 ? null : count - 1));
        return true;
    }

    /**
     * A reset rather than a FIN (HAProxy's {@code tcp-request connection reject} does the
     * same): the runtime keeps no TIME_WAIT entry per refused connection, however many an
     * attacker opens, and the client learns at once.
     */
    private static void refuse(Channel channel, InetAddress peer, int max, ProxyServices services) {
        services.metrics().connectionRefusedOverClientLimit();
        LOG.debug("refused a connection from {}: it has {} open (limits.maxConnectionsPerClient)", peer, max);
        channel.config().setOption(ChannelOption.SO_LINGER, 0);
        channel.close();
    }
}
