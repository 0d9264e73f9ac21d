package dev.portico.runtime.admin;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;

/**
 * {@code PUT /config} on one admin connection, ahead of the aggregator that keeps other
 * admin requests small: a push may be 8 MiB, but only once its head has passed the token
 * check, so nobody without the token gets a byte buffered. A refused push is answered at
 * once and its body read and dropped, which keeps the connection usable and the answer
 * readable for a client still sending. While a push is being applied, later requests on
 * the connection wait, so answers keep their order.
 */
final class ConfigPushHandler extends ChannelInboundHandlerAdapter {

    static final int MAX_BODY = 8 * 1024 * 1024;

    private final ConfigPushService service;
    /** The push whose body is being read or dropped, else null. */
    private HttpRequest push;
    private CompositeByteBuf body;
    private boolean applying;
    private final ArrayDeque<Object> held = new ArrayDeque<>();

    ConfigPushHandler(ConfigPushService service) {
        this.service = service;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (applying) {
            held.add(msg);
            return;
        }
        if (msg instanceof HttpRequest request && isPush(request)) {
            start(ctx, request);
        } else if (push == null) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (msg instanceof HttpContent content) {
            content(ctx, content);
        } else if (msg != push) {
            ReferenceCountUtil.release(msg);
        }
    }

    private static boolean isPush(HttpRequest request) {
        return request.method().equals(HttpMethod.PUT) && request.decoderResult().isSuccess()
                && request.uri().split("\\?", 2)[0].equals("/config");
    }

    private void start(ChannelHandlerContext ctx, HttpRequest request) {
        push = request;
        ConfigPushService.Answer refusal = service.refusal(request.headers().get(HttpHeaderNames.AUTHORIZATION),
                HttpUtil.getContentLength(request, -1L), MAX_BODY);
        if (refusal != null) {
            // A client waiting for 100 Continue sends no body: nothing would tell where the next request starts.
            respond(ctx, refusal, HttpUtil.isKeepAlive(request) && !HttpUtil.is100ContinueExpected(request));
            return;
        }
        if (HttpUtil.is100ContinueExpected(request)) {
            ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
        }
        body = ctx.alloc().compositeBuffer(Integer.MAX_VALUE);
    }

    private void content(ChannelHandlerContext ctx, HttpContent content) {
        boolean last = content instanceof LastHttpContent;
        if (body == null) {
            content.release();
        } else {
            body.addComponent(true, content.content().retain());
            content.release();
            if (body.readableBytes() > MAX_BODY) {
                releaseBody();
                respond(ctx, service.tooLarge(MAX_BODY), HttpUtil.isKeepAlive(push));
            }
        }
        if (last) {
            HttpRequest request = push;
            push = null;
            if (body != null) {
                apply(ctx, request);
            }
        }
    }

    private void apply(ChannelHandlerContext ctx, HttpRequest request) {
        byte[] bytes = ByteBufUtil.getBytes(body);
        releaseBody();
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        applying = true;
        ctx.channel().config().setAutoRead(false);
        CompletableFuture<ConfigPushService.Answer> answer;
        try {
            answer = service.push(bytes);
        } catch (RejectedExecutionException e) {
            answer = CompletableFuture.completedFuture(new ConfigPushService.Answer(
                    HttpResponseStatus.SERVICE_UNAVAILABLE, "text/plain; charset=utf-8", "shutting down\n", null));
        }
        answer.whenComplete((done, failure) -> ctx.executor().execute(() -> {
            ConfigPushService.Answer sent = done != null ? done : new ConfigPushService.Answer(
                    HttpResponseStatus.INTERNAL_SERVER_ERROR, "text/plain; charset=utf-8", failure + "\n", null);
            respond(ctx, sent, keepAlive);
            applying = false;
            ctx.channel().config().setAutoRead(true);
            while (!applying && !held.isEmpty() && ctx.channel().isActive()) {
                channelRead(ctx, held.poll());
            }
        }));
    }

    private static void respond(ChannelHandlerContext ctx, ConfigPushService.Answer answer, boolean keepAlive) {
        byte[] bytes = answer.body().getBytes(StandardCharsets.UTF_8);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, answer.status(),
                Unpooled.wrappedBuffer(bytes));
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, answer.contentType())
                .set(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
        if (answer.status().equals(HttpResponseStatus.UNAUTHORIZED)) {
            response.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer");
        }
        HttpUtil.setKeepAlive(response, keepAlive);
        var written = ctx.writeAndFlush(response);
        if (!keepAlive) {
            written.addListener(ChannelFutureListener.CLOSE);
        }
    }

    private void releaseBody() {
        if (body != null) {
            body.release();
            body = null;
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseBody();
        held.forEach(ReferenceCountUtil::release);
        held.clear();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        handlerRemoved(ctx);
        ctx.fireChannelInactive();
    }
}
