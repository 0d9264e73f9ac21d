package dev.portico.runtime.testing;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLException;

/**
 * A plain HTTP/2 backend (no gRPC): cleartext with prior knowledge (what {@code protocol: H2C} speaks), or TLS
 * offering ALPN h2 alone, with a self-signed certificate. {@code .../big?n=N} streams N bytes as fast as the stream's
 * flow-control window lets it (counting what it could write, per path); {@code /reset} resets its stream
 * (RST_STREAM) instead of answering; {@code /goaway} answers, then sends GOAWAY on its connection; any other path
 * answers after the whole request with what it saw ({@code x-seen-*} headers) and a trailer.
 */
public final class H2Backend implements AutoCloseable {

    /** A request as the backend saw it: pseudo-headers as Netty converts them (Host is :authority). */
    public record Seen(String method, String path, String host, String te, String connection, String trailer,
                       long bodyBytes) {}

    private final Channel server;
    private final BlockingQueue<Seen> seen = new LinkedBlockingQueue<>();
    private final Map<String, AtomicLong> sent = new ConcurrentHashMap<>();
    private final Map<String, Boolean> finished = new ConcurrentHashMap<>();

    private H2Backend(SslContext tls, int maxConcurrentStreams) {
        server = new ServerBootstrap()
                .group(BackendEventLoop.GROUP)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (tls != null) {
                            ch.pipeline().addLast(tls.newHandler(ch.alloc()));
                        }
                        ch.pipeline().addLast(Http2FrameCodecBuilder.forServer()
                                .initialSettings(Http2Settings.defaultSettings().maxConcurrentStreams(maxConcurrentStreams))
                                .build());
                        ch.pipeline().addLast(new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
                            @Override
                            protected void initChannel(Http2StreamChannel stream) {
                                stream.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(true));
                                stream.pipeline().addLast(new Responder());
                            }
                        }));
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).syncUninterruptibly().channel();
    }

    public static H2Backend startCleartext() {
        return new H2Backend(null, 100);
    }

    /** Cleartext, announcing SETTINGS_MAX_CONCURRENT_STREAMS {@code maxConcurrentStreams}. */
    public static H2Backend startCleartext(int maxConcurrentStreams) {
        return new H2Backend(null, maxConcurrentStreams);
    }

    public static H2Backend startTls() {
        var issued = dev.portico.runtime.tls.TestCertificates.selfSigned(
                dev.portico.runtime.tls.TestCertificates.leaf("h2.backend.test"));
        try {
            SslContext tls = SslContextBuilder.forServer(issued.key(),
                            issued.chain().toArray(new java.security.cert.X509Certificate[0]))
                    .ciphers(Http2SecurityUtil.CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
                    .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                            ApplicationProtocolNames.HTTP_2))
                    .build();
            return new H2Backend(tls, 100);
        } catch (SSLException e) {
            throw new IllegalStateException(e);
        }
    }

    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    public Seen take() throws InterruptedException {
        Seen request = seen.poll(10, TimeUnit.SECONDS);
        if (request == null) {
            throw new AssertionError("the HTTP/2 backend saw no request");
        }
        return request;
    }

    /** Bytes of the body of {@code path} written to its stream so far. */
    public long sent(String path) {
        AtomicLong count = sent.get(path);
        return count == null ? 0 : count.get();
    }

    /** Whether the whole body of {@code path} was written. */
    public boolean finished(String path) {
        return finished.getOrDefault(path, false);
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
    }

    private final class Responder extends ChannelInboundHandlerAdapter {

        private HttpRequest request;
        private long bodyBytes;
        private long toSend;
        private String path;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof HttpRequest head) {
                    request = head;
                }
                if (msg instanceof HttpContent content) {
                    bodyBytes += content.content().readableBytes();
                }
                if (msg instanceof LastHttpContent last) {
                    respond(ctx, last);
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        private void respond(ChannelHandlerContext ctx, LastHttpContent last) {
            var headers = request.headers();
            seen.add(new Seen(request.method().name(), request.uri(), headers.get(HttpHeaderNames.HOST),
                    headers.get(HttpHeaderNames.TE), headers.get(HttpHeaderNames.CONNECTION),
                    last.trailingHeaders().get("x-request-trailer"), bodyBytes));
            int big = request.uri().indexOf("/big?n=");
            if (big >= 0) {
                path = request.uri();
                toSend = Long.parseLong(path.substring(big + "/big?n=".length()));
                sent.put(path, new AtomicLong());
                ctx.write(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
                pump(ctx);
                return;
            }
            if (request.uri().startsWith("/reset")) {
                ctx.close(); // a stream channel closed before it ended sends RST_STREAM (CANCEL)
                return;
            }
            HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain")
                    .set("x-seen-te", String.valueOf(headers.get(HttpHeaderNames.TE)))
                    .set("x-seen-trailer", String.valueOf(last.trailingHeaders().get("x-request-trailer")));
            ctx.write(response);
            ctx.write(new DefaultHttpContent(Unpooled.copiedBuffer(
                    "h2 " + request.method() + " " + request.uri() + " " + bodyBytes, StandardCharsets.UTF_8)));
            LastHttpContent end = new DefaultLastHttpContent();
            end.trailingHeaders().set("x-response-trailer", "done");
            ctx.writeAndFlush(end);
            if (request.uri().startsWith("/goaway")) {
                ctx.channel().parent().writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR));
            }
        }

        private void pump(ChannelHandlerContext ctx) {
            AtomicLong count = sent.get(path);
            while (toSend > 0 && ctx.channel().isWritable()) {
                int n = (int) Math.min(16 * 1024, toSend);
                ByteBuf piece = ctx.alloc().buffer(n).writeZero(n);
                toSend -= n;
                count.addAndGet(n);
                ctx.write(new DefaultHttpContent(piece));
            }
            if (toSend == 0) {
                toSend = -1;
                finished.put(path, true);
                ctx.write(LastHttpContent.EMPTY_LAST_CONTENT);
            }
            ctx.flush();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (path != null && toSend > 0 && ctx.channel().isWritable()) {
                pump(ctx);
            }
            ctx.fireChannelWritabilityChanged();
        }
    }
}
