package dev.portico.runtime.admin;

import dev.portico.runtime.proxy.Deadline;
import dev.portico.runtime.proxy.HeadTimer;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Times one admin connection, right behind the HTTP codec: tells the connection's
 * {@link HeadTimer} (the proxy listeners' {@code RequestHeadTimeout}) when a head arrived and
 * when every request has its answer, so a half-sent head gets 408 and an idle connection is
 * closed; and bounds each request body by {@code bodyTimeout} from its head. Requests and final
 * answers are counted rather than paired, as a push being applied holds later requests back.
 */
final class AdminConnection extends ChannelDuplexHandler {

    private static final byte[] TIMEOUT_BODY = "408 Request Timeout\n".getBytes(StandardCharsets.UTF_8);

    private final HeadTimer headTimer;
    private final long bodyNanos;
    private Deadline bodyDeadline;
    private ChannelHandlerContext ctx;
    private long requests;
    private long answered;
    private boolean bodyPending;

    AdminConnection(HeadTimer headTimer, Duration bodyTimeout) {
        this.headTimer = headTimer;
        this.bodyNanos = bodyTimeout.toNanos();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.bodyDeadline = new Deadline(ctx.executor(), this::bodyTimedOut);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest) {
            headTimer.headReceived();
            requests++;
            bodyPending = true;
            bodyDeadline.arm(bodyNanos);
        }
        if (msg instanceof LastHttpContent) {
            bodyPending = false;
            bodyDeadline.disarm();
            awaitNextHeadIfIdle();
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof HttpResponse response && response.status().code() >= 200) {
            answered++;
            awaitNextHeadIfIdle();
        }
        ctx.write(msg, promise);
    }

    /** Every request read whole and answered: the connection is idle, waiting for a head. */
    private void awaitNextHeadIfIdle() {
        if (!bodyPending && answered >= requests) {
            headTimer.awaitNextHead();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof HeadTimer.Expired) {
            closeWith408(); // a head started and did not complete in time
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    /** The body did not arrive in time: 408 if its request has no answer yet, else (a refused push) just close. */
    private void bodyTimedOut() {
        if (!bodyPending || !ctx.channel().isActive()) {
            return;
        }
        if (answered < requests) {
            closeWith408();
        } else {
            ctx.close();
        }
    }

    private void closeWith408() {
        if (!ctx.channel().isActive()) {
            return;
        }
        DefaultFullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.REQUEST_TIMEOUT, Unpooled.wrappedBuffer(TIMEOUT_BODY));
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
                .set(HttpHeaderNames.CONTENT_LENGTH, TIMEOUT_BODY.length)
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        bodyDeadline.cancel();
        ctx.fireChannelInactive();
    }
}
