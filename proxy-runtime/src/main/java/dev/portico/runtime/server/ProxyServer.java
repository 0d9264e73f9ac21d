package dev.portico.runtime.server;

import dev.portico.runtime.proxy.ProxyServices;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;

/** The client-facing listeners; they share the worker event loops with the upstream pools. */
public final class ProxyServer {

    private final Transports transports;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    /** Shared by both listeners: the cap is per client address, whatever port it connects to. */
    private final ConnectionsPerClient perClient = new ConnectionsPerClient();
    private Channel http;
    private Channel https;

    public ProxyServer(Transports transports, EventLoopGroup boss, EventLoopGroup workers) {
        this.transports = transports;
        this.boss = boss;
        this.workers = workers;
    }

    /** Binds the plain-HTTP listener; returns the bound address (port 0 picks a free one). */
    public InetSocketAddress bindHttp(String host, int port, ProxyServices services) throws InterruptedException {
        http = bind(host, port, new Http1ChannelInitializer(services, perClient));
        return (InetSocketAddress) http.localAddress();
    }

    /** Binds the TLS listener (HTTP/2 and HTTP/1.1 by ALPN). */
    public InetSocketAddress bindHttps(String host, int port, ProxyServices services) throws InterruptedException {
        https = bind(host, port, new TlsChannelInitializer(services, perClient));
        return (InetSocketAddress) https.localAddress();
    }

    private Channel bind(String host, int port, ChannelInitializer<Channel> initializer) throws InterruptedException {
        return new ServerBootstrap()
                .group(boss, workers)
                .channel(transports.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childHandler(initializer)
                .bind(host, port)
                .sync()
                .channel();
    }

    /** Stops accepting; open connections carry on. */
    public void stopAccepting() {
        for (Channel listener : new Channel[] {http, https}) {
            if (listener != null) {
                listener.close().syncUninterruptibly();
            }
        }
    }
}
