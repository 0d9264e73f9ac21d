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
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

/**
 * Refuses obsolete line folding (a line starting with a space or tab) in a request head or in the trailers of a
 * chunked body, which Netty's decoder silently joins to the line before, and chunk-size lines with anything after
 * the size but whitespace and extensions ({@code 5 x}), which Netty reads as the size alone. RFC 9112 section 5.2
 * allows joining folds, but a hop in front of us that reads the folded line as a field of its own (a hidden
 * Transfer-Encoding) would frame the request differently; nginx refuses folds too. A chunk size with trailing garbage
 * is not {@code chunk-size [ chunk-ext ]} (RFC 9112 section 7.1), and a hop that reads it another way (as 0, or
 * as invalid) disagrees with us on where the body ends.
 *
 * <p>Sits in two places: an inbound handler before the decoder sees the bytes, and a boundaries handler after it, to
 * learn how the decoder framed each head. The inbound side follows the request stream: it scans heads line by line,
 * gives the decoder each head alone (so the boundaries side has seen its framing before the body bytes are scanned),
 * skips Content-Length bodies and chunk data by count, and checks chunk-size lines and trailer lines. On a fold or a
 * bad chunk-size line the decoder gets nothing more, and the proxy gets a request that failed decoding, answered with
 * 400 and a closed connection, in its turn after any pipelined request before it. Anything it does not expect (a
 * head the decoder refused, a chunk without its CRLF, a bare LF) it leaves to the decoder, which refuses those
 * itself, and stops following the stream.
 */
public final class ObsFoldGuard {

    static final String INBOUND = "obs-fold";
    static final String BOUNDARIES = "obs-fold-boundaries";
    /** Longer chunk-size lines are left to the decoder (which refuses sizes over 2^31 anyway). */
    private static final int MAX_SIZE_LINE = 1024;

    /** Where in the request stream the next byte is. */
    private enum State { HEAD, LENGTH_BODY, CHUNK_SIZE, CHUNK_DATA, CHUNK_DATA_CR, CHUNK_DATA_LF, TRAILERS, UNTRACKED }

    private final Inbound inbound = new Inbound();
    private final Boundaries boundaries = new Boundaries();
    private State state = State.HEAD;
    /** The last byte given to the decoder was a line feed. */
    private boolean afterLineFeed;
    /** HEAD, TRAILERS: bytes of the current line so far, and whether the last of them is a CR. */
    private long lineLength;
    private boolean lineEndsWithCr;
    /** HEAD: a non-empty line (the request line) was seen, so an empty line ends the head. */
    private boolean headStarted;
    /** LENGTH_BODY, CHUNK_DATA: bytes left. */
    private long remaining;
    private final StringBuilder sizeLine = new StringBuilder();
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

    /** {@code 1*HEXDIG [ BWS ";" chunk-ext ]} or {@code 1*HEXDIG BWS}, without its CRLF; the extension is Netty's. */
    static boolean isChunkSizeLine(CharSequence line) {
        int i = 0;
        while (i < line.length() && Character.digit(line.charAt(i), 16) >= 0) {
            i++;
        }
        if (i == 0) {
            return false;
        }
        while (i < line.length() && (line.charAt(i) == ' ' || line.charAt(i) == '\t')) {
            i++;
        }
        return i == line.length() || line.charAt(i) == ';';
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
            int pos = from;
            while (pos < end && state != State.UNTRACKED) {
                switch (state) {
                    case HEAD -> {
                        if (afterLineFeed && lineLength == 0 && isFoldStart(in.getByte(pos))) {
                            if (pos > from) {
                                ctx.fireChannelRead(in.retainedSlice(from, pos - from));
                            }
                            refuse(in, "obsolete line folding in a request head");
                            return;
                        }
                        int lineFeed = in.indexOf(pos, end, (byte) '\n');
                        if (lineFeed < 0) {
                            extendLine(in, pos, end);
                            pos = end;
                            break;
                        }
                        extendLine(in, pos, lineFeed);
                        boolean empty = lineLength == 0 || lineLength == 1 && lineEndsWithCr;
                        pos = lineFeed + 1;
                        newLine();
                        if (!empty) {
                            headStarted = true;
                        } else if (headStarted) {
                            headStarted = false;
                            // The decoder gets the head alone, so its framing is known before the body is scanned.
                            ctx.fireChannelRead(in.retainedSlice(from, pos - from));
                            from = pos;
                            if (refused) {
                                in.release();
                                return;
                            }
                            startBody(boundaries.takeHead());
                        }
                    }
                    case LENGTH_BODY, CHUNK_DATA -> {
                        int n = (int) Math.min(remaining, end - pos);
                        pos += n;
                        remaining -= n;
                        if (remaining == 0) {
                            afterLineFeed = in.getByte(pos - 1) == '\n';
                            state = state == State.LENGTH_BODY ? State.HEAD : State.CHUNK_DATA_CR;
                        }
                    }
                    case CHUNK_DATA_CR, CHUNK_DATA_LF -> {
                        byte expected = state == State.CHUNK_DATA_CR ? (byte) '\r' : (byte) '\n';
                        if (in.getByte(pos) != expected) {
                            state = State.UNTRACKED; // the decoder refuses chunk data without its CRLF
                            break;
                        }
                        pos++;
                        state = state == State.CHUNK_DATA_CR ? State.CHUNK_DATA_LF : State.CHUNK_SIZE;
                    }
                    case CHUNK_SIZE -> {
                        int lineFeed = in.indexOf(pos, end, (byte) '\n');
                        int stop = lineFeed < 0 ? end : lineFeed;
                        for (int i = pos; i < stop && sizeLine.length() <= MAX_SIZE_LINE; i++) {
                            sizeLine.append((char) (in.getByte(i) & 0xff));
                        }
                        if (sizeLine.length() > MAX_SIZE_LINE) {
                            state = State.UNTRACKED;
                            break;
                        }
                        if (lineFeed < 0) {
                            pos = end;
                            break;
                        }
                        pos = lineFeed + 1;
                        if (!chunkSize()) {
                            if (state == State.UNTRACKED) {
                                break;
                            }
                            // Nothing of this buffer reaches the decoder: the request is refused as a whole.
                            in.readerIndex(from);
                            refuse(in, "a chunk size with more than a size and extensions");
                            return;
                        }
                    }
                    case TRAILERS -> {
                        if (lineLength == 0 && isFoldStart(in.getByte(pos))) {
                            in.readerIndex(from);
                            refuse(in, "obsolete line folding in a trailer");
                            return;
                        }
                        int lineFeed = in.indexOf(pos, end, (byte) '\n');
                        if (lineFeed < 0) {
                            extendLine(in, pos, end);
                            pos = end;
                            break;
                        }
                        extendLine(in, pos, lineFeed);
                        boolean empty = lineLength == 0 || lineLength == 1 && lineEndsWithCr;
                        pos = lineFeed + 1;
                        newLine();
                        if (empty) {
                            state = State.HEAD; // the body's last line: the next request's head follows
                        }
                    }
                    default -> throw new IllegalStateException(state.name());
                }
            }
            if (state != State.UNTRACKED && end > from) {
                afterLineFeed = in.getByte(end - 1) == '\n';
            }
            if (from == end) {
                in.release();
                return;
            }
            in.readerIndex(from);
            ctx.fireChannelRead(in);
        }

        private void extendLine(ByteBuf in, int from, int to) {
            if (to > from) {
                lineLength += to - from;
                lineEndsWithCr = in.getByte(to - 1) == '\r';
            }
        }

        private void newLine() {
            lineLength = 0;
            lineEndsWithCr = false;
            afterLineFeed = true;
        }

        /** After a head: how its body is framed, as the decoder read it. */
        private void startBody(HttpRequest head) {
            if (head == null || head.decoderResult().isFailure()) {
                state = State.UNTRACKED; // the decoder refused the head and reads nothing more
                return;
            }
            try {
                if (HttpUtil.isTransferEncodingChunked(head)) {
                    state = State.CHUNK_SIZE;
                    sizeLine.setLength(0);
                    return;
                }
                remaining = HttpUtil.getContentLength(head, 0L);
                state = remaining > 0 ? State.LENGTH_BODY : State.HEAD;
            } catch (NumberFormatException e) {
                state = State.UNTRACKED;
            }
        }

        /**
         * Reads the chunk-size line just ended; true when it is sound (then the state moves on), false when it must
         * be refused, or false with UNTRACKED when it is for the decoder to refuse (a bare LF, an oversized size).
         */
        private boolean chunkSize() {
            int length = sizeLine.length();
            if (length == 0 || sizeLine.charAt(length - 1) != '\r') {
                state = State.UNTRACKED;
                return false;
            }
            sizeLine.setLength(length - 1);
            if (!isChunkSizeLine(sizeLine)) {
                return false;
            }
            int digits = 0;
            while (digits < sizeLine.length() && Character.digit(sizeLine.charAt(digits), 16) >= 0) {
                digits++;
            }
            long size = digits > 8 ? Long.MAX_VALUE : Long.parseLong(sizeLine, 0, digits, 16);
            sizeLine.setLength(0);
            if (size > Integer.MAX_VALUE) {
                state = State.UNTRACKED;
                return false;
            }
            remaining = size;
            if (size == 0) {
                state = State.TRAILERS;
                lineLength = 0;
                lineEndsWithCr = false;
            } else {
                state = State.CHUNK_DATA;
            }
            return true;
        }

        private void refuse(ByteBuf in, String why) {
            in.release();
            refused = true;
            FullHttpRequest failed = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/bad-request",
                    Unpooled.EMPTY_BUFFER);
            failed.setDecoderResult(DecoderResult.failure(new IllegalArgumentException(why)));
            boundaries.context.fireChannelRead(failed);
        }
    }

    private final class Boundaries extends ChannelInboundHandlerAdapter {

        private ChannelHandlerContext context;
        /** The head the decoder produced from the bytes the inbound side gave it last, if any. */
        private HttpRequest head;

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            context = ctx;
        }

        HttpRequest takeHead() {
            HttpRequest taken = head;
            head = null;
            return taken;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpRequest request) {
                head = request;
            }
            ctx.fireChannelRead(msg);
        }
    }
}
