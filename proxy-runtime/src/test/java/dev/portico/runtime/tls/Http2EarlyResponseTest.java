package dev.portico.runtime.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portico.runtime.testing.RecordedRequest;
import dev.portico.runtime.testing.RunningProxy;
import dev.portico.runtime.testing.TestBackend;
import dev.portico.runtime.tls.TestCertificates.KeyFormat;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2FrameLogger;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.logging.LogLevel;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A request body over the limit, or one that stalls, on HTTP/2, seen frame by frame with a
 * Netty client (the JDK client never completes a request answered before its body is sent).
 *
 * <p>The listener advertises a 1 MiB stream window and about 1.94 MiB of connection window
 * (65,535 plus the WINDOW_UPDATE it sends first). Each refused body is 2 MiB, so the client
 * is still uploading when the answer comes, whether the proxy refuses on the declared
 * length or when the streamed body crosses the 64 KiB limit: HEADERS(:status 413), then
 * DATA(END_STREAM) with the short text; the proxy then reads and drops the rest of the body
 * (bounded in time, as its HTTP/1.1 lingering close), so the stream ends cleanly and Netty
 * keeps checking it. It does not reset with NO_ERROR (RFC 9113 8.1 allows either): Netty
 * answers every DATA frame still in flight on a reset stream with RST_STREAM(STREAM_CLOSED),
 * which counts against its limit on resets a server sends (200 per 30 seconds) and ends
 * the whole connection with GOAWAY(ENHANCE_YOUR_CALM) after a few refused uploads. Three
 * refused bodies exceed the connection window, so a 3 MiB upload on the same connection
 * afterwards proves their bytes were credited back.
 */
@Timeout(60)
class Http2EarlyResponseTest {

    private static final int FRAME = 16 * 1024;
    private static final int OVERSIZED = 2 * 1024 * 1024;
    private static final int UPLOAD = 3 * 1024 * 1024;
    private static final byte[] CHUNK = new byte[FRAME];
    private static final long WAIT_SECONDS = 10;
    private static final String TOO_LARGE_BODY = "413 Request Entity Too Large\n";

    static TestCertificates.Ca ca;
    @TempDir
    Path dir;
    TestBackend app;
    RunningProxy proxy;
    EventLoopGroup group;
    Channel connection;
    final List<String> connectionEvents = new CopyOnWriteArrayList<>();
    final WireLog wire = new WireLog();

    @BeforeAll
    static void certificates() {
        ca = TestCertificates.newCa("Portico Test CA");
        Arrays.fill(CHUNK, (byte) 'x');
    }

    @BeforeEach
    void start() throws Exception {
        TestCertificates.write(dir.resolve("secrets"), "site-tls",
                ca.issue(TestCertificates.leaf("site").ec().sans("localhost")), KeyFormat.TRADITIONAL);
        app = TestBackend.start("app");
        proxy = RunningProxy.start(dir, """
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: h2-early, generation: 1}
                spec:
                  hosts: ["localhost"]
                  tls:
                    certificates: [{secretName: site-tls}]
                  limits: {maxRequestBodySize: 8Mi, requestBodyTimeout: 2s}
                  routes:
                    - match: {path: {value: /small}}
                      backend: {service: 127.0.0.1, port: %d}
                      maxRequestBodySize: 64Ki
                    - match: {path: {value: /}}
                      backend: {service: 127.0.0.1, port: %d}
                """.formatted(app.port(), app.port()));
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        connection = connect();
    }

    @AfterEach
    void stop() throws Exception {
        try {
            if (connection != null) {
                connection.close().await(WAIT_SECONDS, TimeUnit.SECONDS);
            }
            if (group != null) {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(WAIT_SECONDS, TimeUnit.SECONDS);
            }
        } finally {
            proxy.close();
            app.close();
        }
    }

    @Test
    void declaredLengthOverTheLimitIs413EarlyAndTheConnectionServesOn() throws Exception {
        for (int i = 0; i < 3; i++) {
            StreamRecorder stream = post("/small/declared-" + i, OVERSIZED, true);

            stream.awaitClosed();
            assertEarly413(stream);
        }
        // Refused on the declared length alone: nothing of these requests went upstream.
        assertThat(app.pollRequest(Duration.ofMillis(200))).isEmpty();

        assertOnlyNoErrorResetsThenUploadSucceeds("/after-declared");
    }

    @Test
    void streamedBodyCrossingTheLimitIs413EarlyAndTheConnectionServesOn() throws Exception {
        for (int i = 0; i < 3; i++) {
            StreamRecorder stream = post("/small/streamed-" + i, OVERSIZED, false);

            stream.awaitClosed();
            assertEarly413(stream);
        }

        assertOnlyNoErrorResetsThenUploadSucceeds("/after-streamed");
    }

    /**
     * limits.requestBodyTimeout per stream: a body that stops arriving gets 408 on its own
     * stream, the backend sees the request cut off, and the connection carries on.
     */
    @Test
    void aBodyThatStallsGets408OnItsStreamAndTheConnectionServesOn() throws Exception {
        StreamRecorder stalled = postWithoutEnd("/stalled", FRAME);

        await().atMost(Duration.ofSeconds(WAIT_SECONDS)).until(() -> stalled.frames.size() >= 2);
        assertThat(stalled.frames.subList(0, 2)).as("%s", stalled.frames)
                .containsExactly("HEADERS :status=408", "DATA END_STREAM");
        RecordedRequest seen = app.takeRequest();
        assertThat(seen.uri()).isEqualTo("/stalled");
        assertThat(seen.complete()).as("the backend saw the upload cut off").isFalse();

        StreamRecorder next = post("/after-stalled", FRAME, true);
        next.awaitClosed();
        assertThat(next.frames).first().isEqualTo("HEADERS :status=200");
        assertThat(next.channel.parent()).isSameAs(connection);
        assertThat(connection.isActive()).isTrue();
    }

    /** HEADERS and {@code size} bytes of DATA, and then nothing: the client stalls mid-body. */
    private StreamRecorder postWithoutEnd(String path, int size) throws Exception {
        StreamRecorder recorder = new StreamRecorder(path);
        Http2StreamChannel stream = new Http2StreamChannelBootstrap(connection).handler(recorder).open()
                .get(WAIT_SECONDS, TimeUnit.SECONDS);
        recorder.channel = stream;
        stream.write(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers()
                .method("POST")
                .path(path)
                .scheme("https")
                .authority("localhost:" + proxy.runtime().httpsPort()), false));
        stream.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(CHUNK, 0, size), false));
        return recorder;
    }

    /**
     * The stream sees HEADERS(:status 413) and DATA ending the stream with the text before
     * the client sent its last DATA; any reset is NO_ERROR, and nothing is CANCEL. (Resets
     * that arrive later are checked once all streams are done.)
     */
    private static int indexOf(List<String> lines, java.util.function.Predicate<String> test) {
        for (int i = 0; i < lines.size(); i++) {
            if (test.test(lines.get(i))) {
                return i;
            }
        }
        return -1;
    }

    private void assertEarly413(StreamRecorder stream) {
        int id = stream.channel.stream().id();
        List<String> streamWire = wire.of(id);
        String seen = "%s (stream %d)%nframes: %s%nwire of the stream:%n%s".formatted(stream.path, id, stream.frames,
                String.join("\n", streamWire));

        assertThat(stream.frames).as(seen).hasSizeGreaterThanOrEqualTo(2);
        assertThat(stream.frames.get(0)).as(seen).isEqualTo("HEADERS :status=413");
        assertThat(stream.frames.get(1)).as(seen).isEqualTo("DATA END_STREAM");
        assertThat(stream.frames.subList(2, stream.frames.size())).as(seen).allMatch("RST_STREAM NO_ERROR"::equals);
        assertThat(stream.body()).as(seen).isEqualTo(TOO_LARGE_BODY);
        assertThat(stream.exceptions).as(seen).isEmpty();

        // The answer was early: the 413 arrived before the client's END_STREAM went out (the
        // proxy then reads and drops the rest, as over HTTP/1.1, and the stream ends cleanly).
        int answered = indexOf(streamWire, line -> line.startsWith("INBOUND HEADERS"));
        int clientEnded = indexOf(streamWire, line -> line.startsWith("OUTBOUND DATA") && line.endsWith("END_STREAM"));
        assertThat(answered).as(seen).isNotNegative();
        if (clientEnded >= 0) {
            assertThat(answered).as(seen).isLessThan(clientEnded);
        }
        assertThat(streamWire).as(seen).filteredOn(line -> line.startsWith("INBOUND RST_STREAM"))
                .allMatch(line -> line.endsWith(" NO_ERROR"));
        assertThat(streamWire).as(seen).noneMatch(line -> line.contains("CANCEL"));

        assertThat(stream.channel.parent()).isSameAs(connection);
        assertThat(connection.isActive()).as("connection still open after %s", stream.path).isTrue();
        assertThat(connectionEvents).as("connection-level events after %s; resets received so far: %s",
                stream.path, wire.resetSummary()).isEmpty();
    }

    /**
     * Every RST_STREAM the connection received is NO_ERROR, and the connection still takes
     * a large upload. Both are checked and reported together: the late resets are what can
     * make the proxy close the connection.
     */
    private void assertOnlyNoErrorResetsThenUploadSucceeds(String path) throws Exception {
        AssertionError uploadFailure = null;
        try {
            assertUploadSucceeds(path);
        } catch (AssertionError e) {
            uploadFailure = e;
        }
        List<String> otherResets = wire.lines.stream()
                .filter(line -> line.startsWith("INBOUND RST_STREAM") && !line.endsWith(" NO_ERROR"))
                .toList();
        AssertionError failure = null;
        if (!otherResets.isEmpty()) {
            failure = new AssertionError("resets other than NO_ERROR (on streams already reset by the proxy): "
                    + wire.resetSummary() + "; connection events: " + connectionEvents
                    + (uploadFailure == null ? "; the upload after them still succeeded"
                    : "; the upload after them failed: " + uploadFailure.getMessage().lines().findFirst().orElse("")));
            if (uploadFailure != null) {
                failure.addSuppressed(uploadFailure);
            }
        } else {
            failure = uploadFailure;
        }
        if (failure != null) {
            throw failure;
        }
    }

    /**
     * A 3 MiB upload, more than the whole connection window, on the same connection: it
     * completes only if the bytes the refused streams had in flight were credited back.
     */
    private void assertUploadSucceeds(String path) throws Exception {
        StreamRecorder stream = post(path, UPLOAD, true);

        stream.awaitClosed();

        String seen = "%s%nframes: %s%nwire:%n%s".formatted(path, stream.frames, wire);
        assertThat(stream.frames).as(seen).first().isEqualTo("HEADERS :status=200");
        assertThat(stream.frames).as(seen).last().isEqualTo("DATA END_STREAM");
        assertThat(stream.frames).as(seen).noneMatch(frame -> frame.startsWith("RST_STREAM"));
        assertThat(stream.headers.get("x-received-bytes")).as(seen).hasToString(String.valueOf(UPLOAD));
        assertThat(stream.body()).as(seen).isEqualTo("ok app POST " + path);
        assertThat(stream.channel.parent()).isSameAs(connection);
        assertThat(connection.isActive()).isTrue();
        assertThat(connectionEvents).as("connection-level events").isEmpty();
        assertThat(wire.lines).as("no stream was cancelled: %s", wire).noneMatch(line -> line.contains("CANCEL"));
    }

    /**
     * Opens a stream on the connection and writes HEADERS then {@code size} bytes of DATA in
     * 16 KiB frames, the last one END_STREAM, without waiting: what the windows do not let
     * through waits in the client's flow controller (and fails once the stream is reset).
     */
    private StreamRecorder post(String path, int size, boolean declareLength) throws Exception {
        StreamRecorder recorder = new StreamRecorder(path);
        Http2StreamChannel stream;
        try {
            stream = new Http2StreamChannelBootstrap(connection).handler(recorder).open()
                    .get(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError("cannot open a stream for " + path + "; connection events: " + connectionEvents
                    + "\nwire:\n" + wire, e);
        }
        recorder.channel = stream;
        Http2Headers headers = new DefaultHttp2Headers()
                .method("POST")
                .path(path)
                .scheme("https")
                .authority("localhost:" + proxy.runtime().httpsPort());
        headers.set("content-type", "application/octet-stream");
        if (declareLength) {
            headers.setInt("content-length", size);
        }
        stream.write(new DefaultHttp2HeadersFrame(headers, false));
        for (int sent = 0; sent < size; sent += FRAME) {
            int length = Math.min(FRAME, size - sent);
            stream.write(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(CHUNK, 0, length), sent + length == size));
        }
        stream.flush();
        return recorder;
    }

    private Channel connect() throws Exception {
        return H2Connections.connect(group, H2Connections.clientContext(ca.certificate()), proxy.runtime().httpsPort(),
                pipeline -> {
                    pipeline.addLast(Http2FrameCodecBuilder.forClient().frameLogger(wire).build());
                    pipeline.addLast(new Http2MultiplexHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel pushed) {
                            // the proxy never pushes
                        }
                    }));
                    pipeline.addLast(new ConnectionRecorder());
                }).get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    /** HEADERS, RST_STREAM, GOAWAY and WINDOW_UPDATE frames both ways, and inbound DATA, for failure messages. */
    static final class WireLog extends Http2FrameLogger {
        final List<String> lines = new CopyOnWriteArrayList<>();

        WireLog() {
            super(LogLevel.TRACE, WireLog.class);
        }

        @Override
        public boolean isEnabled() {
            return true;
        }

        @Override
        public void logHeaders(Direction direction, ChannelHandlerContext ctx, int streamId, Http2Headers headers,
                               int padding, boolean endStream) {
            lines.add(direction + " HEADERS stream=" + streamId + (headers.status() == null ? ""
                    : " :status=" + headers.status()) + (endStream ? " END_STREAM" : ""));
        }

        @Override
        public void logHeaders(Direction direction, ChannelHandlerContext ctx, int streamId, Http2Headers headers,
                               int streamDependency, short weight, boolean exclusive, int padding, boolean endStream) {
            logHeaders(direction, ctx, streamId, headers, padding, endStream);
        }

        @Override
        public void logData(Direction direction, ChannelHandlerContext ctx, int streamId, ByteBuf data, int padding,
                            boolean endStream) {
            if (direction == Direction.INBOUND || endStream) {
                lines.add(direction + " DATA stream=" + streamId + " bytes=" + data.readableBytes()
                        + (endStream ? " END_STREAM" : ""));
            }
        }

        @Override
        public void logRstStream(Direction direction, ChannelHandlerContext ctx, int streamId, long errorCode) {
            lines.add(direction + " RST_STREAM stream=" + streamId + " " + Http2Error.valueOf(errorCode));
        }

        @Override
        public void logGoAway(Direction direction, ChannelHandlerContext ctx, int lastStreamId, long errorCode,
                              ByteBuf debugData) {
            lines.add(direction + " GOAWAY last=" + lastStreamId + " " + Http2Error.valueOf(errorCode));
        }

        @Override
        public void logWindowsUpdate(Direction direction, ChannelHandlerContext ctx, int streamId,
                                     int windowSizeIncrement) {
            lines.add(direction + " WINDOW_UPDATE stream=" + streamId + " +" + windowSizeIncrement);
        }

        /** Per stream, the RST_STREAM frames received, e.g. {@code 3: NO_ERROR, 70 x STREAM_CLOSED}. */
        String resetSummary() {
            Map<Integer, Map<String, Long>> byStream = new TreeMap<>();
            for (String line : lines) {
                if (line.startsWith("INBOUND RST_STREAM stream=")) {
                    String[] parts = line.substring("INBOUND RST_STREAM stream=".length()).split(" ");
                    byStream.computeIfAbsent(Integer.parseInt(parts[0]), k -> new LinkedHashMap<>())
                            .merge(parts[1], 1L, Long::sum);
                }
            }
            StringBuilder out = new StringBuilder();
            byStream.forEach((id, codes) -> {
                out.append(out.length() == 0 ? "" : "; ").append("stream ").append(id).append(':');
                out.append(codes.entrySet().stream().map(e -> " " + e.getValue() + " x " + e.getKey())
                        .collect(Collectors.joining(",")));
            });
            return out.toString();
        }

        /** The lines about stream {@code id}, in order. */
        List<String> of(int id) {
            String tag = " stream=" + id + " ";
            return lines.stream().filter(line -> (line + " ").contains(tag)).toList();
        }

        @Override
        public String toString() {
            return String.join("\n", lines);
        }
    }

    /** What reaches the connection past the multiplexer: a GOAWAY, or an error. */
    private final class ConnectionRecorder extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof Http2GoAwayFrame goAway) {
                connectionEvents.add("GOAWAY " + Http2Error.valueOf(goAway.errorCode()));
            }
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            connectionEvents.add("exception " + cause);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            connectionEvents.add("connection closed");
            ctx.fireChannelInactive();
        }
    }

    /**
     * The frames one stream receives, in order: {@code HEADERS :status=N} (with
     * {@code END_STREAM} when it ends the stream), {@code DATA} / {@code DATA END_STREAM},
     * {@code RST_STREAM <error>}.
     */
    private static final class StreamRecorder extends ChannelInboundHandlerAdapter {
        final String path;
        final List<String> frames = new CopyOnWriteArrayList<>();
        final List<Throwable> exceptions = new CopyOnWriteArrayList<>();
        final CompletableFuture<Void> closed = new CompletableFuture<>();
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        volatile Http2Headers headers;
        volatile Http2StreamChannel channel;

        StreamRecorder(String path) {
            this.path = path;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof Http2HeadersFrame frame) {
                    headers = frame.headers();
                    frames.add("HEADERS :status=" + frame.headers().status() + (frame.isEndStream() ? " END_STREAM" : ""));
                } else if (msg instanceof Http2DataFrame frame) {
                    synchronized (body) {
                        frame.content().readBytes(body, frame.content().readableBytes());
                    }
                    frames.add(frame.isEndStream() ? "DATA END_STREAM" : "DATA");
                } else {
                    frames.add("other " + msg);
                }
            } catch (IOException e) {
                exceptions.add(e);
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof Http2ResetFrame reset) {
                frames.add("RST_STREAM " + Http2Error.valueOf(reset.errorCode()));
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            closed.complete(null);
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            exceptions.add(cause);
        }

        /** Waits (bounded) until the stream is closed, by END_STREAM both ways or a reset. */
        void awaitClosed() throws Exception {
            try {
                closed.get(WAIT_SECONDS, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                throw new AssertionError("stream " + path + " still open after " + WAIT_SECONDS + "s; frames so far: "
                        + new ArrayList<>(frames) + ", exceptions: " + exceptions, e);
            }
        }

        String body() {
            synchronized (body) {
                return body.toString(StandardCharsets.UTF_8);
            }
        }
    }
}
