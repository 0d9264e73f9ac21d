package dev.portico.runtime.admin;

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
import java.net.InetSocketAddress;

/**
 * The metrics listener ({@code --metrics-port}): {@code GET /metrics} in plain HTTP and nothing else,
 * so Prometheus can scrape a pod without the admin port's certificate and without a way to the port
 * that takes config pushes (docs/observability.md). Read-only, and only what the admin port's
 * {@code /metrics} already tells. Its clients are bounded as the admin port's are ({@link AdminLimits}:
 * a per-address cap at accept, a deadline for each head, idle connections closed) with smaller heads,
 * and it takes no request body at all: a scraper sends none.
 */
public final class MetricsServer {

    /** A scrape is {@code GET /metrics} and a few headers; an initial line or a head beyond these is refused. */
    static final int MAX_INITIAL_LINE = 1024;
    static final int MAX_HEADERS = 4096;

    private final Channel channel;

    private MetricsServer(Channel channel) {
        this.channel = channel;
    }

    public static MetricsServer bind(Transports transports, EventLoopGroup group, String host, int port,
                                     ProxyMetrics metrics, AdminLimits limits) throws InterruptedException {
        ConnectionsPerClient perClient = new ConnectionsPerClient(); // the metrics port's own count
        Channel channel = new ServerBootstrap()
                .group(group)
                .channel(transports.serverChannel())
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (!perClient.admit(ch, limits.maxConnectionsPerClient(),
                                metrics::metricsConnectionRefusedOverClientLimit)) {
                            return;
                        }
                        RequestHeadTimeout headTimeout = new RequestHeadTimeout(limits.headTimeout(),
                                limits.idleTimeout());
                        ch.pipeline()
                                .addLast(headTimeout)
                                .addLast(new HttpServerCodec(MAX_INITIAL_LINE, MAX_HEADERS, 8192))
                                .addLast(new AdminConnection(headTimeout, limits.bodyTimeout()))
                                // No body: one with a request answers 413 and closes.
                                .addLast(new HttpObjectAggregator(0))
                                .addLast(new MetricsHandler(metrics));
                    }
                })
                .bind(host, port)
                .sync()
                .channel();
        return new MetricsServer(channel);
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    public void close() {
        channel.close().syncUninterruptibly();
    }
}
