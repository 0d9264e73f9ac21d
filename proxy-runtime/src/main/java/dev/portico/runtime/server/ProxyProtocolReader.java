package dev.portico.runtime.server;

import dev.portico.runtime.config.SiteConfig;
import dev.portico.runtime.metrics.ProxyMetrics;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyProtocolException;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol.AddressFamily;
import io.netty.util.NetUtil;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code spec.proxyProtocol}: reads the PROXY protocol header (v1 text or v2 binary, decoded by Netty's
 * {@code HAProxyMessageDecoder}) a load balancer sends before its client's first byte, and hands on the
 * client address it carries. Only a peer in {@code trustedProxies.cidrs} may send one: any other peer
 * is reset at accept, before a byte is read. A connection that does not start with a header (HTTP or
 * a ClientHello straight from a client), whose header is malformed, cut short, or not complete within
 * {@code limits.requestHeaderTimeout}, is closed unanswered: there is no HTTP yet to answer in. Each
 * refusal counts in {@code portico_proxy_protocol_refused_total{reason}} and is logged with the peer.
 *
 * <p>Which address: the PROXY command carries the client's (TCP or UDP, IPv4 or IPv6; an IPv4-mapped
 * IPv6 address counts as the IPv4 one, so that CIDRs match it); a v2 LOCAL command (the balancer's own
 * health check) and an UNKNOWN, unspecified or UNIX family keep the TCP peer, as the specification says.
 */
final class ProxyProtocolReader extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(ProxyProtocolReader.class);

    private final InetSocketAddress peer;
    private final ProxyHeaderDecoder decoder;
    private final long timeoutNanos;
    private final ProxyMetrics metrics;
    private final Consumer<InetSocketAddress> next;
    private ScheduledFuture<?> timeout;
    private boolean done;

    private ProxyProtocolReader(InetSocketAddress peer, ProxyHeaderDecoder decoder, Duration timeout,
                                ProxyMetrics metrics, Consumer<InetSocketAddress> next) {
        this.peer = peer;
        this.decoder = decoder;
        this.timeoutNanos = timeout.toNanos();
        this.metrics = metrics;
        this.next = next;
    }

    /**
     * Refuses {@code channel} unless its peer is a trusted proxy; otherwise makes the PROXY header the
     * first thing read, and gives {@code next} the client address once it is.
     */
    static void install(Channel channel, SiteConfig config, ProxyMetrics metrics, Consumer<InetSocketAddress> next) {
        InetSocketAddress peer = channel.remoteAddress() instanceof InetSocketAddress remote ? remote : null;
        if (peer == null || peer.getAddress() == null || !config.trust().cidrs().contains(peer.getAddress())) {
            metrics.proxyProtocolRefused("untrusted_peer");
            Warnings.log("untrusted_peer", "refused a connection from {}: spec.proxyProtocol is on and {} is not "
                    + "in spec.trustedProxies.cidrs, the peers that may send a PROXY protocol header",
                    text(peer), peer == null ? "it" : NetUtil.toAddressString(peer.getAddress()));
            // A reset, as for limits.maxConnectionsPerClient: no TIME_WAIT per refused connection.
            channel.config().setOption(ChannelOption.SO_LINGER, 0);
            channel.close();
            return;
        }
        ProxyHeaderDecoder decoder = new ProxyHeaderDecoder();
        channel.pipeline().addLast("proxy-protocol-decoder", decoder);
        channel.pipeline().addLast("proxy-protocol", new ProxyProtocolReader(peer, decoder,
                config.limits().requestHeaderTimeout(), metrics, next));
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        timeout = ctx.executor().schedule(() -> timedOut(ctx), timeoutNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (timeout != null) {
            timeout.cancel(false);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (done || !(msg instanceof HAProxyMessage header)) {
            ReferenceCountUtil.release(msg); // nothing else reaches here before the header
            return;
        }
        done = true;
        InetSocketAddress client;
        try {
            client = clientOf(header, peer);
        } finally {
            header.release();
        }
        LOG.debug("PROXY protocol header from {}: client {}", text(peer), text(client));
        // The decoder removes itself next and hands the bytes after the header to what `next` adds.
        ctx.pipeline().remove(this);
        next.accept(client);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (done) {
            // After a refusal the decoder may still choke on what it holds, as the channel closes.
            LOG.debug("connection from {} after its refusal: {}", text(peer), cause.toString());
        } else if (cause instanceof ProxyHeaderDecoder.NotAProxyHeader) {
            refuse(ctx, "missing", "refused a connection from {}: it did not start with a PROXY protocol header, "
                    + "which spec.proxyProtocol requires (does the load balancer send one?)");
        } else if (cause instanceof HAProxyProtocolException) {
            refuse(ctx, "malformed", "refused a connection from {}: malformed PROXY protocol header ({})",
                    innermost(cause).getMessage());
        } else {
            done = true;
            LOG.debug("connection from {} failed before its PROXY protocol header: {}", text(peer), cause.toString());
            ctx.close();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (!done) {
            done = true;
            if (decoder.started()) {
                metrics.proxyProtocolRefused("truncated");
                Warnings.log("truncated", "connection from {} closed in the middle of its PROXY protocol header",
                        text(peer));
            } else {
                // A balancer's TCP health check: it connects and closes without a byte.
                LOG.debug("connection from {} closed before sending anything", text(peer));
            }
        }
        ctx.fireChannelInactive();
    }

    private void timedOut(ChannelHandlerContext ctx) {
        if (!done && ctx.channel().isActive()) {
            refuse(ctx, "timeout", "refused a connection from {}: no complete PROXY protocol header within "
                    + "limits.requestHeaderTimeout ({} ms)", TimeUnit.NANOSECONDS.toMillis(timeoutNanos));
        }
    }

    private void refuse(ChannelHandlerContext ctx, String reason, String message, Object... details) {
        done = true;
        metrics.proxyProtocolRefused(reason);
        Object[] args = new Object[details.length + 1];
        args[0] = text(peer);
        System.arraycopy(details, 0, args, 1, details.length);
        Warnings.log(reason, message, args);
        ctx.close();
    }

    /** The client address {@code header} carries, or the TCP peer where it carries none. */
    static InetSocketAddress clientOf(HAProxyMessage header, InetSocketAddress peer) {
        if (header.command() != HAProxyCommand.PROXY) {
            return peer;
        }
        AddressFamily family = header.proxiedProtocol().addressFamily();
        if (family != AddressFamily.AF_IPv4 && family != AddressFamily.AF_IPv6 || header.sourceAddress() == null) {
            return peer;
        }
        InetAddress address = NetUtil.createInetAddressFromIpAddressString(header.sourceAddress());
        return address == null ? peer : new InetSocketAddress(unmapped(address), header.sourcePort());
    }

    /** {@code ::ffff:192.0.2.1} as {@code 192.0.2.1}, so that IPv4 CIDRs and counts see one address. */
    private static InetAddress unmapped(InetAddress address) {
        byte[] bytes = address.getAddress();
        if (bytes.length != 16 || bytes[10] != (byte) 0xFF || bytes[11] != (byte) 0xFF) {
            return address;
        }
        for (int i = 0; i < 10; i++) {
            if (bytes[i] != 0) {
                return address;
            }
        }
        try {
            return InetAddress.getByAddress(Arrays.copyOfRange(bytes, 12, 16));
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // four bytes are always an address
        }
    }

    /** Netty wraps the reason (an invalid address, an unknown version) twice. */
    private static Throwable innermost(Throwable cause) {
        Throwable inner = cause;
        while (inner.getCause() != null && inner.getCause() != inner) {
            inner = inner.getCause();
        }
        return inner;
    }

    private static String text(InetSocketAddress address) {
        return address == null || address.getAddress() == null ? String.valueOf(address)
                : NetUtil.toSocketAddressString(address);
    }

    /**
     * At most one WARN per reason every 10 s, the rest at DEBUG: a balancer left out of the CIDRs, or
     * one that stopped sending headers, is told at once, and a scanner cannot flood the log.
     */
    static final class Warnings {
        private static final long INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);
        private static final Map<String, AtomicLong> NEXT = new ConcurrentHashMap<>();

        private Warnings() {}

        static void log(String reason, String message, Object... args) {
            AtomicLong next = NEXT.computeIfAbsent(reason, r -> new AtomicLong(System.nanoTime()));
            long now = System.nanoTime();
            long due = next.get();
            if (now - due >= 0 && next.compareAndSet(due, now + INTERVAL_NANOS)) {
                LOG.warn(message + " (more of these in the next 10 s are logged at DEBUG)", args);
            } else {
                LOG.debug(message, args);
            }
        }
    }
}
