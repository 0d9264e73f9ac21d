package dev.portico.runtime.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * Refuses obsolete line folding (a header line starting with a space or tab) in a request head, which Netty's
 * decoder silently joins to the line before. RFC 9112 section 5.2 allows that, but a hop in front of us that reads
 * the folded line as a header of its own (a hidden Transfer-Encoding) would frame the request differently; nginx
 * refuses it too.
 *
 * <p>Sits in two places: {@link #inbound()} before the decoder sees the bytes, {@link #boundaries()} after it, to
 * learn whether the decoder is inside a head or a body. Where a line feed is followed by a space or tab, the bytes up
 * to the line feed go to the decoder first; if it is then not in a body, the next line is a folded header line (or
 * whitespace before a request line). The decoder then gets nothing more, and the proxy gets a request that failed
 * decoding, answered with 400 and a closed connection, in its turn after any pipelined request before it.
 */
public final class ObsFoldGuard {

    static final String INBOUND = "obs-fold";
    static final String BOUNDARIES = "obs-fold-boundaries";

    private final Inbound inbound = new Inbound();
    private final Boundaries boundaries = new Boundaries();
    /** Between a request head and the end of its body, as the decoder reported them. */
    private boolean inBody;
    /** The last byte given to the decoder was a line feed. */
    private boolean afterLineFeed;
    private boolean refused;

    /** Adds the guard around {@code codec}, already in {@code pipeline}. */
    static void addAround(ChannelPipeline pipeline, String codec) {
        ObsFoldGuard guard = new ObsFoldGuard();
        pipeline.addBefore(codec, INBOUND, guard.inbound);
        pipeline.addAfter(codec, BOUNDARIES, guard.boundaries);
    }

    /** Takes the guard out, when the connection stops speaking HTTP (a WebSocket tunnel). */
    public static void removeFrom(ChannelPipeline pipeline) {
        if (pipeline.get(INBOUND) != null) {
            pipeline.remove(INBOUND);
        }
        if (pipeline.get(BOUNDARIES) != null) {
            pipeline.remove(BOUNDARIES);
        }
    }

    private static boolean isFoldStart(byte b) {
        return b == ' ' || b == '\t';
    }

    private final class Inbound extends ChannelInboundHandlerAdapter {

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof ByteBuf in)) {
                ctx.fireChannelRead(msg);
                return;
            }
            if (refused) {
                in.release();
                return;
            }
            int from = in.readerIndex();
            int end = in.writerIndex();
            if (from == end) {
                ctx.fireChannelRead(in);
                return;
            }
            if (afterLineFeed && !inBody && isFoldStart(in.getByte(from))) {
                refuse(in);
                return;
            }
            for (int scan = from; ; ) {
                int lineFeed = in.indexOf(scan, end, (byte) '\n');
                if (lineFeed < 0 || lineFeed + 1 >= end) {
                    break;
                }
                scan = lineFeed + 1;
                if (!isFoldStart(in.getByte(scan))) {
                    continue;
                }
                ctx.fireChannelRead(in.retainedSlice(from, scan - from));
                from = scan;
                if (refused) {
                    in.release();
                    return;
                }
                if (!inBody) {
                    refuse(in);
                    return;
                }
            }
            afterLineFeed = in.getByte(end - 1) == '\n';
            in.readerIndex(from);
            ctx.fireChannelRead(in);
        }

        private void refuse(ByteBuf in) {
            in.release();
            refused = true;
            FullHttpRequest failed = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/bad-request",
                    Unpooled.EMPTY_BUFFER);
            failed.setDecoderResult(DecoderResult.failure(
                    new IllegalArgumentException("obsolete line folding in a request head")));
            boundaries.context.fireChannelRead(failed);
        }
    }

    private final class Boundaries extends ChannelInboundHandlerAdapter {

        private ChannelHandlerContext context;

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            context = ctx;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpRequest) {
                inBody = true;
            }
            if (msg instanceof LastHttpContent) {
                inBody = false;
            }
            ctx.fireChannelRead(msg);
        }
    }
}
