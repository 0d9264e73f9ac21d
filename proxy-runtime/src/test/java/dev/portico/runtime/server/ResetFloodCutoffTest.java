package dev.portico.runtime.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.DefaultChannelId;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.local.LocalServerChannel;
import io.netty.handler.codec.http2.DefaultHttp2FrameReader;
import io.netty.handler.codec.http2.DefaultHttp2FrameWriter;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameAdapter;
import io.netty.handler.codec.http2.Http2FrameLogger;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.logging.LogLevel;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * MadeYouReset (CVE-2025-55163) as one burst of frames into the runtime's own HTTP/2 codec
 * ({@link AlpnHandler#codec}, with its stream-error handler and a multiplexer): once the runtime has
 * sent its 200 RST_STREAM and GOAWAY(ENHANCE_YOUR_CALM), the frames still in the same read are
 * dropped, not decoded. Netty alone decodes every one of them, and each opens a refused stream that
 * fails again (two exceptions with stack traces, a connection error). Over a TLS socket nothing of
 * this shows on the wire (the connection is closing), so the codec is driven in memory and the frames
 * it decodes are counted by Netty's inbound frame logger; RapidResetTest is the end-to-end flood.
 */
class ResetFloodCutoffTest {

    private static final int ATTACK_STREAMS = 400;

    @Test
    void framesAfterTheResetLimitTrippedAreNotDecoded() {
        HeadersCounter decoded = new HeadersCounter();
        // The multiplexer takes a channel without a server parent for a client's.
        EmbeddedChannel server = new EmbeddedChannel(new LocalServerChannel(), DefaultChannelId.newInstance(), true,
                false, AlpnHandler.codec(8192).frameLogger(decoded).build(),
                AlpnHandler.StreamErrorReset.INSTANCE,
                new Http2MultiplexHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel stream) {
                        // streams just stay open: the codec's resets are what is measured
                    }
                }));

        server.writeInbound(madeYouReset(ATTACK_STREAMS));

        List<String> sent = framesSentBy(server);
        int limit = AlpnHandler.MAX_RESETS;
        assertThat(sent).filteredOn(frame -> frame.startsWith("RST_STREAM"))
                .as("frames the runtime sent: %s", summary(sent)).hasSize(limit + 1);
        assertThat(sent).contains("GOAWAY " + Http2Error.ENHANCE_YOUR_CALM);
        assertThat(server.isActive()).isFalse();
        assertThat(decoded.headers).as("HEADERS frames decoded, of %d sent in the burst", ATTACK_STREAMS)
                .isEqualTo(limit + 1);
        server.finishAndReleaseAll();
    }

    /** The client preface and SETTINGS, then per stream a GET with END_STREAM and a WINDOW_UPDATE of 0. */
    private static ByteBuf madeYouReset(int streams) {
        EmbeddedChannel sink = new EmbeddedChannel(new ChannelOutboundHandlerAdapter());
        ChannelHandlerContext ctx = sink.pipeline().firstContext();
        DefaultHttp2FrameWriter writer = new DefaultHttp2FrameWriter();
        ctx.write(Http2CodecUtil.connectionPrefaceBuf());
        writer.writeSettings(ctx, new Http2Settings(), ctx.voidPromise());
        for (int i = 0; i < streams; i++) {
            int id = 1 + 2 * i;
            Http2Headers headers = new DefaultHttp2Headers().method("GET").scheme("https").authority("localhost")
                    .path("/attack/" + id);
            writer.writeHeaders(ctx, id, headers, 0, true, ctx.voidPromise());
            writer.writeWindowUpdate(ctx, id, 0, ctx.voidPromise());
        }
        ctx.flush();
        CompositeByteBuf all = Unpooled.compositeBuffer(Integer.MAX_VALUE);
        for (ByteBuf part; (part = sink.readOutbound()) != null; ) {
            all.addComponent(true, part);
        }
        sink.finishAndReleaseAll();
        return all;
    }

    /** The frames in what the server wrote (after its SETTINGS), as {@code RST_STREAM 3 PROTOCOL_ERROR}, {@code GOAWAY ...}. */
    private static List<String> framesSentBy(EmbeddedChannel server) {
        CompositeByteBuf out = Unpooled.compositeBuffer(Integer.MAX_VALUE);
        for (Object part; (part = server.readOutbound()) != null; ) {
            if (part instanceof ByteBuf bytes) {
                out.addComponent(true, bytes);
            } else {
                ReferenceCountUtil.release(part);
            }
        }
        List<String> frames = new ArrayList<>();
        try (DefaultHttp2FrameReader reader = new DefaultHttp2FrameReader()) {
            reader.readFrame(null, out, new Http2FrameAdapter() {
                @Override
                public void onRstStreamRead(ChannelHandlerContext ctx, int streamId, long errorCode) {
                    frames.add("RST_STREAM " + streamId + " " + Http2Error.valueOf(errorCode));
                }

                @Override
                public void onGoAwayRead(ChannelHandlerContext ctx, int lastStreamId, long errorCode,
                                         ByteBuf debugData) {
                    frames.add("GOAWAY " + Http2Error.valueOf(errorCode));
                }
            });
        } catch (Exception e) {
            throw new AssertionError("unreadable frames from the runtime", e);
        } finally {
            out.release();
        }
        return frames;
    }

    private static String summary(List<String> frames) {
        return frames.size() <= 6 ? frames.toString()
                : frames.subList(0, 3) + " ... " + frames.subList(frames.size() - 3, frames.size());
    }

    /** Counts the HEADERS frames the codec's reader decodes. */
    private static final class HeadersCounter extends Http2FrameLogger {
        int headers;

        HeadersCounter() {
            super(LogLevel.TRACE, HeadersCounter.class);
        }

        @Override
        public void logHeaders(Direction direction, ChannelHandlerContext ctx, int streamId, Http2Headers headers,
                               int padding, boolean endStream) {
            if (direction == Direction.INBOUND) {
                this.headers++;
            }
        }

        @Override
        public void logHeaders(Direction direction, ChannelHandlerContext ctx, int streamId, Http2Headers headers,
                               int streamDependency, short weight, boolean exclusive, int padding,
                               boolean endStream) {
            logHeaders(direction, ctx, streamId, headers, padding, endStream);
        }
    }
}
