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
 * {@code limits.maxConnectionsPerClient}: open client connections per peer address (the TCP
 * peer, or the address a PROXY protocol header carried: {@link ConnectionAddress}), over both
 * listeners, checked at accept. A connection over the cap is reset before any HTTP or TLS byte
 * is read, so one address cannot take all of the runtime's file descriptors with idle or slow
 * connections. Peers the site trusts as proxies are neither counted nor
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
        InetSocketAddress remote = ConnectionAddress.of(channel);
        if (remote == null || remote.getAddress() == null) {
            return true;
        }
        // Read at accept, like the other limits: a reload applies to connections opened after it.
        SiteConfig config = services.config().current();
        if (config.trust().trustsPeer(remote.getAddress())) {
            return true;
        }
        return admit(channel, config.limits().maxConnectionsPerClient(),
                services.metrics()::connectionRefusedOverClientLimit);
    }

    /**
     * Counts {@code channel} against its peer, or resets it when the peer has {@code max} open
     * here: for a listener with a cap of its own (the admin port), which exempts nobody.
     *
     * @param refused counts a refusal (a metric)
     * @return whether the connection may be served
     */
    public boolean admit(Channel channel, int max, Runnable refused) {
        InetSocketAddress remote = ConnectionAddress.of(channel);
        if (remote == null || remote.getAddress() == null) {
            return true;
        }
        InetAddress peer = remote.getAddress();
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
            refuse(channel, peer, max, refused);
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
    private static void refuse(Channel channel, InetAddress peer, int max, Runnable refused) {
        refused.run();
        LOG.debug("refused a connection from {}: it has {} open, the most allowed", peer, max);
        channel.config().setOption(ChannelOption.SO_LINGER, 0);
        channel.close();
    }
}
