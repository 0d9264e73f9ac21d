package dev.portico.operator.testbed;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portico.crds.bundle.ConfigPush;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.nio.file.Path;
import javax.net.ssl.SSLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Many cheap pods for the background sites of the propagation benchmark: one listening port
 * per pod, all on one event loop, each answering {@code GET/PUT /config} as a runtime's admin
 * port does (the newest revision wins) without compiling anything. The measured site runs
 * real runtimes; these only make the operator do the work that many sites cost it.
 */
public final class StandInPods implements AutoCloseable {

    private record Served(long revision, String hash) {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Map<String, Served> served = new ConcurrentHashMap<>();
    private final List<Channel> listeners = new ArrayList<>();

    /**
     * Opens one more pod's admin port at {@code address:port}; closing the handle closes the port.
     *
     * @param tls the pod's admin certificate and key (PEM files of its mounted bundle), served as a
     *     runtime's TLS-only admin port serves them (without renewals); null: plain HTTP
     */
    AutoCloseable open(String address, int port, Path[] tls) throws InterruptedException {
        SslContext context;
        try {
            context = tls == null ? null : SslContextBuilder.forServer(tls[0].toFile(), tls[1].toFile()).build();
        } catch (SSLException e) {
            throw new IllegalStateException("the pod's admin certificate: " + e.getMessage(), e);
        }
        Channel channel = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (context != null) {
                            ch.pipeline().addLast(context.newHandler(ch.alloc()));
                        }
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(8 << 20), new Admin());
                    }
                })
                .bind(address, port).sync().channel();
        listeners.add(channel);
        served.put(key(channel), new Served(0, "sha256:none"));
        return () -> channel.close().sync();
    }

    private static String key(Channel channel) {
        return channel.localAddress().toString();
    }

    private final class Admin extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) throws Exception {
            String port = key(ctx.channel());
            HttpResponseStatus status = HttpResponseStatus.OK;
            if (request.method().equals(HttpMethod.PUT)) {
                byte[] body = new byte[request.content().readableBytes()];
                request.content().readBytes(body);
                ConfigPush push = ConfigPush.fromJson(body);
                Served now = served.compute(port, (p, old) -> push.revision() >= old.revision()
                        ? new Served(push.revision(), push.hash()) : old);
                if (!now.hash().equals(push.hash())) {
                    status = HttpResponseStatus.CONFLICT;
                }
            }
            Served now = served.get(port);
            byte[] answer = JSON.writeValueAsBytes(Map.of("name", "standin", "generation", 0,
                    "revision", now.revision(), "hash", now.hash()));
            var response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(answer));
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json")
                    .set(HttpHeaderNames.CONTENT_LENGTH, answer.length);
            ctx.writeAndFlush(response);
        }
    }

    @Override
    public void close() {
        listeners.forEach(Channel::close);
        group.shutdownGracefully().syncUninterruptibly();
    }
}
