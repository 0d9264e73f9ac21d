package dev.portico.runtime.testing;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GenericFutureListener;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One request being answered: the request head, its query, and the write helpers endpoints need. It exists so
 * endpoints never touch the connection handler's state, only "write this" and "I am done".
 */
final class Exchange {

    private final BackendHttpHandler connection;
    private final ChannelHandlerContext ctx;
    private final HttpRequest request;
    private final QueryStringDecoder query;
    private final RecordedRequest recorded;
    private final TestBackend backend;
    private boolean completed;

    Exchange(BackendHttpHandler connection, ChannelHandlerContext ctx, HttpRequest request, RecordedRequest recorded,
             TestBackend backend) {
        this.connection = connection;
        this.ctx = ctx;
        this.request = request;
        this.query = new QueryStringDecoder(request.uri());
        this.recorded = recorded;
        this.backend = backend;
    }

    /** What the backend recorded for this request (body length and digest included). */
    RecordedRequest recorded() {
        return recorded;
    }

    HttpRequest request() {
        return request;
    }

    String path() {
        return query.path();
    }

    String backendName() {
        return backend.name();
    }

    TestBackend backend() {
        return backend;
    }

    /** Whether this connection answered a request before this one. */
    boolean connectionReused() {
        return connection.answered() > 0;
    }

    boolean isHead() {
        return HttpMethod.HEAD.equals(request.method());
    }

    Channel channel() {
        return ctx.channel();
    }

    ChannelHandlerContext ctx() {
        return ctx;
    }

    List<String> params(String name) {
        return query.parameters().getOrDefault(name, List.of());
    }

    Map<String, List<String>> params() {
        return query.parameters();
    }

    String param(String name, String fallback) {
        List<String> values = params(name);
        return values.isEmpty() ? fallback : values.get(0);
    }

    long longParam(String name, long fallback) {
        String value = param(name, null);
        return value == null ? fallback : Long.parseLong(value);
    }

    int intParam(String name, int fallback) {
        return Math.toIntExact(longParam(name, fallback));
    }

    boolean boolParam(String name, boolean fallback) {
        String value = param(name, null);
        return value == null ? fallback : Boolean.parseBoolean(value);
    }

    HttpResponse newHead(HttpResponseStatus status) {
        return new DefaultHttpResponse(request.protocolVersion(), status);
    }

    /** A chunked response head, the start of every streaming endpoint. */
    HttpResponse newChunkedHead(CharSequence contentType) {
        HttpResponse head = newHead(HttpResponseStatus.OK);
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        HttpUtil.setTransferEncodingChunked(head, true);
        return head;
    }

    /**
     * A complete response with Content-Length. For HEAD the length is announced but no body sent, like a real origin.
     */
    FullHttpResponse newFull(HttpResponseStatus status, CharSequence contentType, byte[] body) {
        boolean bodyless = isHead() || status.codeClass() == HttpStatusClass.INFORMATIONAL
                || status.code() == 204 || status.code() == 304;
        FullHttpResponse response = new DefaultFullHttpResponse(request.protocolVersion(), status,
                bodyless ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
        if (status.code() != 204 && status.codeClass() != HttpStatusClass.INFORMATIONAL) {
            response.headers().set(HttpHeaderNames.CONTENT_LENGTH, body.length);
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        }
        return response;
    }

    /** Sends a complete response and ends the exchange. */
    void respond(FullHttpResponse response) {
        ctx.writeAndFlush(response);
        complete();
    }

    ChannelFuture write(Object msg) {
        return ctx.write(msg);
    }

    ChannelFuture writeAndFlush(Object msg) {
        return ctx.writeAndFlush(msg);
    }

    void flush() {
        ctx.flush();
    }

    /** Ends a streamed response. */
    void finish() {
        ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        complete();
    }

    /** Writes one streamed piece and flushes it at once, so the client sees it now rather than at the end. */
    void writePiece(HttpContent piece) {
        ctx.writeAndFlush(piece);
    }

    /**
     * Runs {@code task} on the connection's event loop after {@code delayMs}, unless the connection has closed by then.
     * Never blocks a thread: intentional delays are timers, so one backend can hold many slow requests.
     */
    void schedule(long delayMs, Runnable task) {
        Channel channel = ctx.channel();
        ScheduledFuture<?>[] timer = new ScheduledFuture<?>[1];
        GenericFutureListener<Future<? super Void>> cancelOnClose = f -> timer[0].cancel(false);
        timer[0] = ctx.executor().schedule(() -> {
            // Unhook, or a long SSE stream would pile one listener per event onto the close future.
            channel.closeFuture().removeListener(cancelOnClose);
            if (channel.isActive()) {
                task.run();
            }
        }, delayMs, TimeUnit.MILLISECONDS);
        channel.closeFuture().addListener(cancelOnClose);
    }

    void whenWritable(Runnable task) {
        connection.whenWritable(task);
    }

    boolean keepAlive() {
        return HttpUtil.isKeepAlive(request);
    }

    /** The response is fully written (or handed to the channel); the connection may answer the next request. */
    void complete() {
        if (!completed) {
            completed = true;
            connection.exchangeComplete(ctx, keepAlive());
        }
    }
}
