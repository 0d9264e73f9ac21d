package dev.portico.runtime.tls;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.security.cert.X509Certificate;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import javax.net.ssl.SSLException;

/**
 * Netty client connections to the runtime's TLS listener that must negotiate {@code h2}: the
 * shared set-up of the frame-level HTTP/2 tests, which differ only in what they put on the
 * pipeline once ALPN chose h2.
 */
final class H2Connections {

    private H2Connections() {}

    /** A client context trusting {@code ca} that offers only {@code h2}. */
    static SslContext clientContext(X509Certificate ca) throws SSLException {
        return SslContextBuilder.forClient()
                .trustManager(ca)
                .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                        ApplicationProtocolNames.HTTP_2))
                .build();
    }

    /**
     * Connects to 127.0.0.1:{@code port} (SNI {@code localhost}). Once the handshake chose h2,
     * {@code h2Pipeline} adds the test's handlers and the future completes with the channel; it
     * fails when the connection, the handshake or ALPN does.
     */
    static CompletableFuture<Channel> connect(EventLoopGroup group, SslContext ssl, int port,
                                              Consumer<ChannelPipeline> h2Pipeline) {
        CompletableFuture<Channel> ready = new CompletableFuture<>();
        new Bootstrap()
                .group(group)
                .channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(ssl.newHandler(ch.alloc(), "localhost", port));
                        ch.pipeline().addLast(new ApplicationProtocolNegotiationHandler("none") {
                            @Override
                            protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
                                if (!ApplicationProtocolNames.HTTP_2.equals(protocol)) {
                                    ready.completeExceptionally(new IllegalStateException("ALPN chose " + protocol));
                                    ctx.close();
                                    return;
                                }
                                h2Pipeline.accept(ctx.pipeline());
                                ready.complete(ctx.channel());
                            }

                            @Override
                            protected void handshakeFailure(ChannelHandlerContext ctx, Throwable cause) {
                                ready.completeExceptionally(cause);
                                ctx.close();
                            }
                        });
                    }
                })
                .connect("127.0.0.1", port)
                .addListener(f -> {
                    if (!f.isSuccess()) {
                        ready.completeExceptionally(f.cause());
                    }
                });
        return ready;
    }
}
