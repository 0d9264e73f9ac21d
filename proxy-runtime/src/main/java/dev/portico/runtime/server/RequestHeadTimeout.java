package dev.portico.runtime.server;

import dev.portico.runtime.proxy.Deadline;
import dev.portico.runtime.proxy.HeadTimer;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.time.Duration;

/**
 * Sits before the HTTP codec and times the wait for a request head. A connection that
 * started sending a head gets {@code requestHeaderTimeout} to finish it, then a 408 (via
 * the {@link Expired} event, so the proxy handler answers through the codec); an idle
 * keep-alive connection that sends nothing is closed quietly after the keep-alive time.
 */
public final class RequestHeadTimeout extends ChannelInboundHandlerAdapter implements HeadTimer {

    private final long headNanos;
    private final long keepAliveNanos;
    private ChannelHandlerContext ctx;
    private Deadline timer;
    private boolean waiting;
    private boolean started;

    public RequestHeadTimeout(Duration headTimeout, Duration keepAliveTimeout) {
        this.headNanos = headTimeout.toNanos();
        this.keepAliveNanos = keepAliveTimeout.toNanos();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.timer = new Deadline(ctx.executor(), this::expired);
        if (ctx.channel().isActive()) {
            begin(); // added after TLS and ALPN, on a connection already active
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        begin();
        ctx.fireChannelActive();
    }

    /** A new connection owes us a head from the start: slowloris begins here. */
    private void begin() {
        if (!waiting) {
            waiting = true;
            started = true;
            arm(headNanos);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (waiting && !started && msg instanceof ByteBuf bytes && bytes.isReadable()) {
            started = true;
            arm(headNanos);
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        timer.cancel();
        ctx.fireChannelInactive();
    }

    @Override
    public void headReceived() {
        waiting = false;
        cancel();
    }

    @Override
    public void awaitNextHead() {
        waiting = true;
        started = false;
        arm(keepAliveNanos);
    }

    private void arm(long nanos) {
        timer.arm(nanos);
    }

    private void cancel() {
        timer.disarm();
    }

    private void expired() {
        if (!waiting || !ctx.channel().isActive()) {
            return;
        }
        if (started) {
            ctx.fireUserEventTriggered(HeadTimer.Expired.INSTANCE);
        } else {
            ctx.close();
        }
    }
}
