package dev.portico.runtime.tls;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http2.DefaultHttp2FrameReader;
import io.netty.handler.codec.http2.DefaultHttp2FrameWriter;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameAdapter;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * An HTTP/2 client over TLS (ALPN h2) that writes exactly the frames a test asks for, on the stream
 * ids it names, with no stream bookkeeping or flow control of its own, the way h2spec does: what
 * the server answers is then the server's decision alone. It ACKs the server's SETTINGS and records
 * what else arrives as lines: {@code HEADERS 1 :status=200}, {@code DATA 1 END_STREAM},
 * {@code RST_STREAM 1 STREAM_CLOSED}, {@code GOAWAY PROTOCOL_ERROR}, and {@code CLOSED} when the
 * server closes the connection.
 */
final class RawHttp2Client implements AutoCloseable {

    static final String CLOSED = "CLOSED";

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final DefaultHttp2FrameWriter writer = new DefaultHttp2FrameWriter();
    private final BlockingQueue<String> received = new LinkedBlockingQueue<>();
    private final List<String> seen = new ArrayList<>();
    private final String authority;
    private Channel channel;

    private RawHttp2Client(int port) {
        this.authority = "localhost:" + port;
    }

    /** Connects to 127.0.0.1:{@code port}, trusting {@code ca}, and sends the preface and SETTINGS. */
    static RawHttp2Client connect(TestCertificates.Ca ca, int port) throws Exception {
        RawHttp2Client client = new RawHttp2Client(port);
        try {
            client.start(ca, port);
            return client;
        } catch (Exception e) {
            client.close();
            throw e;
        }
    }

    private void start(TestCertificates.Ca ca, int port) throws Exception {
        channel = H2Connections.connect(group, H2Connections.clientContext(ca.certificate()), port,
                        pipeline -> pipeline.addLast(new FrameRecorder()))
                .get(10, TimeUnit.SECONDS);
    }

    /** HEADERS of a request for {@code path} (GET, or POST when a body follows) on stream {@code id}. */
    RawHttp2Client headers(int id, String path, boolean endStream) {
        Http2Headers headers = new DefaultHttp2Headers().method(endStream ? "GET" : "POST").scheme("https")
                .authority(authority).path(path);
        return write(ctx -> writer.writeHeaders(ctx, id, headers, 0, endStream, ctx.voidPromise()));
    }

    /** A trailer section (one ordinary field) ending stream {@code id}. */
    RawHttp2Client trailers(int id) {
        Http2Headers trailers = new DefaultHttp2Headers().add("x-checksum", "none");
        return write(ctx -> writer.writeHeaders(ctx, id, trailers, 0, true, ctx.voidPromise()));
    }

    /** HEADERS of a request with these extra fields (name, value), unvalidated, on stream {@code id}. */
    RawHttp2Client headers(int id, String method, String path, List<String[]> fields, boolean endStream) {
        Http2Headers headers = new DefaultHttp2Headers(false).method(method).scheme("https")
                .authority(authority).path(path);
        fields.forEach(field -> headers.add(field[0], field[1]));
        return write(ctx -> writer.writeHeaders(ctx, id, headers, 0, endStream, ctx.voidPromise()));
    }

    /** A trailer section of these fields (name, value), unvalidated, ending stream {@code id}. */
    RawHttp2Client trailers(int id, List<String[]> fields) {
        Http2Headers trailers = new DefaultHttp2Headers(false);
        fields.forEach(field -> trailers.add(field[0], field[1]));
        return write(ctx -> writer.writeHeaders(ctx, id, trailers, 0, true, ctx.voidPromise()));
    }

    RawHttp2Client data(int id, String text, boolean endStream) {
        ByteBuf payload = Unpooled.copiedBuffer(text, StandardCharsets.UTF_8);
        return write(ctx -> writer.writeData(ctx, id, payload, 0, endStream, ctx.voidPromise()));
    }

    RawHttp2Client rstStream(int id, Http2Error error) {
        return write(ctx -> writer.writeRstStream(ctx, id, error.code(), ctx.voidPromise()));
    }

    RawHttp2Client windowUpdate(int id, int increment) {
        return write(ctx -> writer.writeWindowUpdate(ctx, id, increment, ctx.voidPromise()));
    }

    /**
     * Writes on the event loop without flushing, so that frames queued one after another reach the
     * server together, as h2spec's do; {@link #flush()} sends them.
     */
    private RawHttp2Client write(Consumer<ChannelHandlerContext> frame) {
        ChannelHandlerContext ctx = channel.pipeline().context(FrameRecorder.class);
        channel.eventLoop().execute(() -> frame.accept(ctx));
        return this;
    }

    RawHttp2Client flush() {
        channel.eventLoop().execute(channel::flush);
        return this;
    }

    /**
     * Waits (at most {@code timeout}) for a line matching {@code test} and returns it; throws with
     * every line received so far when none comes.
     */
    String await(Predicate<String> test, Duration timeout, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            String line = left > 0 ? received.poll(left, TimeUnit.NANOSECONDS) : null;
            if (line == null) {
                throw new AssertionError("no " + what + " within " + timeout + "; received: " + seen());
            }
            record(line);
            if (test.test(line)) {
                return line;
            }
        }
    }

    /** Waits for the end of stream {@code id}: HEADERS or DATA with END_STREAM, or RST_STREAM. */
    String awaitEndOf(int id) throws InterruptedException {
        return await(line -> line.startsWith("RST_STREAM " + id + " ")
                || (line.startsWith("HEADERS " + id + " ") || line.startsWith("DATA " + id + " "))
                && line.endsWith("END_STREAM"), Duration.ofSeconds(10), "end of stream " + id);
    }

    /** Every line received so far, including those not waited for yet (drained within {@code settle}). */
    List<String> seen(Duration settle) throws InterruptedException {
        String line;
        while ((line = received.poll(settle.toMillis(), TimeUnit.MILLISECONDS)) != null) {
            record(line);
        }
        return seen();
    }

    private synchronized void record(String line) {
        seen.add(line);
    }

    private synchronized List<String> seen() {
        List<String> all = new ArrayList<>(seen);
        all.addAll(received);
        return all;
    }

    @Override
    public void close() throws InterruptedException {
        if (channel != null) {
            channel.close().await(5, TimeUnit.SECONDS);
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
    }

    /** Sends the preface, reads frames into lines. */
    private final class FrameRecorder extends ByteToMessageDecoder {
        private final DefaultHttp2FrameReader reader = new DefaultHttp2FrameReader();

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            ctx.write(Http2CodecUtil.connectionPrefaceBuf());
            writer.writeSettings(ctx, new Http2Settings(), ctx.voidPromise());
            ctx.flush();
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
            reader.readFrame(ctx, in, new Http2FrameAdapter() {
                @Override
                public void onSettingsRead(ChannelHandlerContext ctx, Http2Settings settings) {
                    writer.writeSettingsAck(ctx, ctx.voidPromise());
                    ctx.flush();
                }

                @Override
                public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers,
                                          int padding, boolean endOfStream) {
                    received.add("HEADERS " + streamId + " :status=" + headers.status()
                            + (endOfStream ? " END_STREAM" : ""));
                }

                @Override
                public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers,
                                          int streamDependency, short weight, boolean exclusive, int padding,
                                          boolean endOfStream) {
                    onHeadersRead(ctx, streamId, headers, padding, endOfStream);
                }

                @Override
                public int onDataRead(ChannelHandlerContext ctx, int streamId, ByteBuf data, int padding,
                                      boolean endOfStream) {
                    received.add("DATA " + streamId + (endOfStream ? " END_STREAM" : ""));
                    return data.readableBytes() + padding;
                }

                @Override
                public void onRstStreamRead(ChannelHandlerContext ctx, int streamId, long errorCode) {
                    received.add("RST_STREAM " + streamId + " " + Http2Error.valueOf(errorCode));
                }

                @Override
                public void onGoAwayRead(ChannelHandlerContext ctx, int lastStreamId, long errorCode,
                                         ByteBuf debugData) {
                    received.add("GOAWAY " + Http2Error.valueOf(errorCode));
                }
            });
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            received.add(CLOSED);
            super.channelInactive(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();  // a TCP reset after the server's GOAWAY: recorded as CLOSED
        }
    }
}
