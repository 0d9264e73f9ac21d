package dev.portico.runtime.upstream;

import dev.portico.runtime.routing.RouteAction.UpstreamTarget;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2SettingsFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.util.ArrayDeque;

/**
 * One HTTP/2 connection to a backend, shared by the exchanges of its event loop: each exchange
 * gets a stream of its own, an {@link Http2StreamChannel} whose pipeline turns frames into the
 * same HTTP objects an HTTP/1.1 connection gives ({@link Http2StreamFrameToHttpObjectCodec}) and
 * ends in an {@link UpstreamHandler}. So the exchange neither knows nor cares, and flow control
 * is per stream: an exchange that stops reading its stream channel (its client is slow) stops
 * the WINDOW_UPDATEs of that stream alone, and a full stream window makes only that stream
 * channel unwritable.
 *
 * <p>A connection takes streams up to the peer's SETTINGS_MAX_CONCURRENT_STREAMS (capped at
 * {@link #MAX_STREAMS}; {@link #STREAMS_BEFORE_SETTINGS} until the peer's SETTINGS arrive); the
 * pool opens another one when all are full. After a GOAWAY it takes no new stream, lets those
 * in flight finish, and closes when the last one has. Streams asked for while it still connects
 * wait for it, so a burst of first requests opens one connection, not one each.
 */
final class Http2Upstream {

    /** RFC 9113 6.5.2 asks peers to allow at least 100 concurrent streams: the count assumed until SETTINGS. */
    static final int STREAMS_BEFORE_SETTINGS = 100;
    /** Beyond this many streams on one connection another connection is opened, whatever the peer allows. */
    static final int MAX_STREAMS = 1000;
    /**
     * What one stream may have in flight towards us unread. Small enough that a stalled client holds little
     * memory here, big enough for a loopback or LAN backend to stream at full speed.
     */
    static final int STREAM_WINDOW = 256 * 1024;
    /**
     * The connection's window: many stream windows, so that streams stalled by slow clients (each holding at
     * most {@link #STREAM_WINDOW} unread) leave the others room to flow.
     */
    static final int CONNECTION_WINDOW = 16 * 1024 * 1024;

    private static final ChannelHandler REFUSE_PUSHED_STREAMS = new RefusePushedStreams();

    private final Channel channel;
    private final UpstreamTarget target;
    private final UpstreamStats stats;
    private final UpstreamPool pool;
    private final ArrayDeque<Waiter> waiters = new ArrayDeque<>(2);
    private Http2FrameCodec codec;
    private boolean settingsReceived;
    private boolean goingAway;
    /** Streams open, or promised to exchanges waiting for the connection. */
    private int streams;
    private long idleSince = System.nanoTime();

    private record Waiter(UpstreamListener listener, Promise<UpstreamConnection> promise) {}

    Http2Upstream(Channel channel, UpstreamTarget target, UpstreamStats stats, UpstreamPool pool) {
        this.channel = channel;
        this.target = target;
        this.stats = stats;
        this.pool = pool;
    }

    Channel channel() {
        return channel;
    }

    UpstreamTarget target() {
        return target;
    }

    /** Whether a new exchange may open a stream here (now, or once the connection is up). */
    boolean hasRoom() {
        return !goingAway && (codec == null || channel.isActive()) && streams < limit();
    }

    private int limit() {
        if (!settingsReceived) {
            return STREAMS_BEFORE_SETTINGS;
        }
        // The local endpoint's cap on its own streams is what the peer's SETTINGS_MAX_CONCURRENT_STREAMS set.
        return Math.min(codec.connection().local().maxActiveStreams(), MAX_STREAMS);
    }

    /** Whether no stream has used the connection since {@code nanos} ago (and none is promised). */
    boolean idleLongerThan(long now, long nanos) {
        return codec != null && streams == 0 && now - idleSince > nanos;
    }

    /**
     * The connection is up (TCP, and TLS with ALPN h2 when it has TLS): the HTTP/2 codec goes in,
     * the preface and our SETTINGS go out, and the exchanges that waited get their streams.
     */
    void start() {
        codec = Http2FrameCodecBuilder.forClient()
                .initialSettings(Http2Settings.defaultSettings()
                        .pushEnabled(false)
                        .initialWindowSize(STREAM_WINDOW))
                // Should the peer lower its limit below the streams in flight, extra ones wait in the encoder.
                .encoderEnforceMaxConcurrentStreams(true)
                .build();
        channel.pipeline().addLast("h2", codec);
        channel.pipeline().addLast("h2-streams", new Http2MultiplexHandler(REFUSE_PUSHED_STREAMS));
        channel.pipeline().addLast("h2-connection", new ConnectionWatcher());
        channel.writeAndFlush(new DefaultHttp2WindowUpdateFrame(
                CONNECTION_WINDOW - Http2CodecUtil.DEFAULT_WINDOW_SIZE));
        for (Waiter waiter; (waiter = waiters.poll()) != null; ) {
            open(waiter.listener(), waiter.promise(), false);
        }
    }

    /** The connection could not be made: the exchanges that waited for it fail as the first one does. */
    void failed(Throwable cause) {
        goingAway = true;
        for (Waiter waiter; (waiter = waiters.poll()) != null; ) {
            streams--;
            waiter.promise().tryFailure(cause);
        }
    }

    /** A stream for {@code listener}, at once on a live connection, else once it is up. */
    void openStream(UpstreamListener listener, Promise<UpstreamConnection> promise) {
        streams++;
        if (codec == null) {
            waiters.add(new Waiter(listener, promise));
        } else {
            open(listener, promise, true);
        }
    }

    private void open(UpstreamListener listener, Promise<UpstreamConnection> promise, boolean reused) {
        UpstreamHandler handler = new UpstreamHandler();
        handler.attach(listener);
        Future<Http2StreamChannel> opened = new Http2StreamChannelBootstrap(channel)
                .handler(new ChannelInitializer<Http2StreamChannel>() {
                    @Override
                    protected void initChannel(Http2StreamChannel stream) {
                        stream.pipeline().addLast("codec", new Http2StreamFrameToHttpObjectCodec(false));
                        stream.pipeline().addLast("upstream", handler);
                    }
                })
                .open();
        opened.addListener(f -> {
            if (!f.isSuccess()) {
                streamClosed();
                promise.tryFailure(f.cause());
                return;
            }
            Http2StreamChannel stream = opened.getNow();
            stats.http2StreamOpened();
            stream.closeFuture().addListener(c -> streamClosed());
            if (reused) {
                stats.reused();
            }
            if (!promise.trySuccess(new UpstreamConnection(pool, target, stream, handler, null, reused))) {
                handler.detach();
                stream.close();
            }
        });
    }

    /** Its endpoint left the backend: no new stream; closed now if none is open, else when the last ends. */
    void retire() {
        goingAway = true;
        if (streams == 0) {
            channel.close();
        }
    }

    private void streamClosed() {
        if (--streams == 0) {
            idleSince = System.nanoTime();
            if (goingAway) {
                channel.close();
            }
        }
    }

    /** Follows what the peer says about the connection as a whole: its SETTINGS, and GOAWAY. */
    private final class ConnectionWatcher extends ChannelInboundHandlerAdapter {

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof Http2SettingsFrame) {
                settingsReceived = true;
            } else if (msg instanceof Http2GoAwayFrame) {
                // Streams above its last-stream-id fail on their own (their channels close); the others finish.
                goingAway = true;
                if (streams == 0) {
                    ctx.close();
                }
            }
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            goingAway = true;
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            goingAway = true;
            ctx.close();
        }
    }

    /** We announce SETTINGS_ENABLE_PUSH 0; a stream the backend opens anyway is closed (reset) at once. */
    @ChannelHandler.Sharable
    private static final class RefusePushedStreams extends ChannelInboundHandlerAdapter {

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            ctx.close();
        }
    }
}
