package dev.portico.runtime.admin;

import dev.portico.runtime.config.ConfigHolder;
import dev.portico.runtime.metrics.ProxyMetrics;
import dev.portico.runtime.server.ConnectionsPerClient;
import dev.portico.runtime.server.RequestHeadTimeout;
import dev.portico.runtime.server.Transports;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The admin listener. Off the proxy path, so small requests are aggregated whole here
 * (a config push, bigger, by its own handler once its token is checked); it runs on its
 * own event loop so probes answer even when the proxy's loops are busy. Its clients are bounded
 * as the proxy's are ({@link AdminLimits}): a per-address connection cap at accept, a deadline for
 * each head and body, and idle connections closed. With {@code --admin-tls-secret} it speaks TLS
 * only (docs/config-push.md, "The admin channel").
 */
public final class AdminServer {

    private static final int MAX_ADMIN_REQUEST = 64 * 1024;

    private final Channel channel;

    private AdminServer(Channel channel) {
        this.channel = channel;
    }

    /**
     * @param tls the context for each new connection, read at accept (so a renewed certificate serves the next
     *     connection and open ones keep theirs), or null: plain HTTP
     */
    public static AdminServer bind(Transports transports, EventLoopGroup group, String host, int port,
                                   ConfigHolder config, ProxyMetrics metrics, BooleanSupplier ready,
                                   ConfigPushService pushes, AdminLimits limits, Supplier<SslContext> tls)
            throws InterruptedException {
        ConnectionsPerClient perClient = new ConnectionsPerClient(); // the admin port's own count
        Channel channel = new ServerBootstrap()
                .group(group)
                .channel(transports.serverChannel())
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (!perClient.admit(ch, limits.maxConnectionsPerClient(),
                                metrics::adminConnectionRefusedOverClientLimit)) {
                            return;
                        }
                        RequestHeadTimeout headTimeout = new RequestHeadTimeout(limits.headTimeout(),
                                limits.idleTimeout());
                        if (tls != null) {
                            // First, so nothing but a TLS handshake is ever read; the head timer
                            // behind it also bounds a handshake that never completes.
                            ch.pipeline().addLast(tls.get().newHandler(ch.alloc()));
                        }
                        ch.pipeline()
                                .addLast(headTimeout)
                                .addLast(new HttpServerCodec())
                                .addLast(new AdminConnection(headTimeout, limits.bodyTimeout()))
                                .addLast(new ConfigPushHandler(pushes))
                                .addLast(new HttpObjectAggregator(MAX_ADMIN_REQUEST))
                                .addLast(new AdminHandler(config, metrics, ready));
                    }
                })
                .bind(host, port)
                .sync()
                .channel();
        return new AdminServer(channel);
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    public void close() {
        channel.close().syncUninterruptibly();
    }
}
