package dev.portico.runtime.testing;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Per-connection request reader: streams each body into a {@link BodyDigest} (never aggregating), records the request
 * once its body has ended, then hands it to {@link Endpoints}.
 *
 * <p>HTTP/1.1 pipelining means the next request can be decoded while the previous answer is still being produced
 * (a slow or streaming endpoint). Those messages are parked and reading is paused until the current exchange
 * completes, so responses always go out in request order.
 */
final class BackendHttpHandler extends ChannelInboundHandlerAdapter {

    private final TestBackend backend;
    private final int connectionId;
    private final Deque<Object> parked = new ArrayDeque<>();
    private InboundRequest reading;
    private boolean answering;
    private Runnable onWritable;
    private int answered;

    BackendHttpHandler(TestBackend backend, int connectionId) {
        this.backend = backend;
        this.connectionId = connectionId;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (answering || !parked.isEmpty()) {
            parked.add(msg);
            ctx.channel().config().setAutoRead(false);
            return;
        }
        handle(ctx, msg);
    }

    private void handle(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest head) {
            if (head.decoderResult().isFailure()) {
                ReferenceCountUtil.release(msg);
                rejectMalformed(ctx, head);
                return;
            }
            reading = new InboundRequest(head, connectionId);
            if (HttpUtil.is100ContinueExpected(head)) {
                // Our own answer rather than HttpServerExpectContinueHandler: that one strips the Expect header
                // before we could record it, and tests want to see whether the proxy forwarded it.
                ctx.writeAndFlush(new DefaultFullHttpResponse(head.protocolVersion(), HttpResponseStatus.CONTINUE));
            }
        }
        if (msg instanceof HttpContent content) {
            if (content.decoderResult().isFailure()) {
                // A broken chunk: the stream cannot be trusted any more, so behave like a strict origin and drop it.
                content.release();
                reading = null;
                ctx.close();
                return;
            }
            try {
                if (reading != null) {
                    backend.countRequestBody(content.content().readableBytes());
                    reading.body().update(content.content());
                }
            } finally {
                content.release();
            }
            if (msg instanceof LastHttpContent last && reading != null) {
                InboundRequest done = reading;
                done.trailers(last.trailingHeaders());
                reading = null;
                RecordedRequest recorded = done.toRecord(true);
                backend.record(recorded);
                answering = true;
                if (done.isWebSocketUpgrade()) {
                    WebSocketEcho.upgrade(ctx, done.head, backend.port());
                } else {
                    Endpoints.dispatch(new Exchange(this, ctx, done.head, recorded, backend));
                }
            }
        }
    }

    /** Called by the exchange once its last write has been issued; resumes with any parked pipelined request. */
    void exchangeComplete(ChannelHandlerContext ctx, boolean keepAlive) {
        answering = false;
        answered++;
        onWritable = null;
        if (!keepAlive) {
            // HttpServerKeepAliveHandler closes the connection after this response; nothing more will be answered.
            releaseParked();
            return;
        }
        Object next;
        while (!answering && (next = parked.poll()) != null) {
            handle(ctx, next);
        }
        if (!answering && parked.isEmpty()) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    /** Requests this connection answered before the current one. */
    int answered() {
        return answered;
    }

    /** Runs {@code task} once the channel becomes writable again (one-shot): the backpressure hook for downloads. */
    void whenWritable(Runnable task) {
        onWritable = task;
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        Runnable task = onWritable;
        if (task != null && ctx.channel().isWritable()) {
            onWritable = null;
            task.run();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (reading != null) {
            // The peer went away mid-body (e.g. an aborted upload): still worth recording, marked incomplete.
            backend.record(reading.toRecord(false));
            reading = null;
        }
        releaseParked();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Resets and broken pipes are routine in these tests (the proxy aborts on purpose); just drop the connection.
        ctx.close();
    }

    private void rejectMalformed(ChannelHandlerContext ctx, HttpRequest head) {
        byte[] body = ("malformed request: " + head.decoderResult().cause()).getBytes(StandardCharsets.UTF_8);
        DefaultFullHttpResponse response = new DefaultFullHttpResponse(
                head.protocolVersion(), HttpResponseStatus.BAD_REQUEST, Unpooled.wrappedBuffer(body));
        response.headers().set(HttpHeaderNames.CONTENT_LENGTH, body.length);
        response.headers().set(HttpHeaderNames.CONNECTION, "close");
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    private void releaseParked() {
        Object msg;
        while ((msg = parked.poll()) != null) {
            ReferenceCountUtil.release(msg);
        }
    }
}
