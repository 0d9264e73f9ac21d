package dev.portico.runtime.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Sits before the HTTP codec and times the wait for a request head. A connection that
 * started sending a head gets {@code requestHeaderTimeout} to finish it, then a 408 (via
 * the {@link Expired} event, so the proxy handler answers through the codec); an idle
 * keep-alive connection that sends nothing is closed quietly after the keep-alive time.
 */
public final class RequestHeadTimeout extends ChannelInboundHandlerAdapter {

    /** Fired down the pipeline when a started head did not complete in time. */
    public static final class Expired {
        public static final Expired INSTANCE = new Expired();

        private Expired() {}
    }

    private final long headNanos;
    private final long keepAliveNanos;
    private ChannelHandlerContext ctx;
    private ScheduledFuture<?> timer;
    private boolean waiting;
    private boolean started;

    public RequestHeadTimeout(Duration headTimeout, Duration keepAliveTimeout) {
        this.headNanos = headTimeout.toNanos();
        this.keepAliveNanos = keepAliveTimeout.toNanos();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        // A new connection owes us a head from the start: slowloris begins here.
        waiting = true;
        started = true;
        arm(headNanos);
        ctx.fireChannelActive();
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
        cancel();
        ctx.fireChannelInactive();
    }

    /** The head arrived: nothing to time until the exchange ends. */
    public void headReceived() {
        waiting = false;
        cancel();
    }

    /** An exchange ended on a keep-alive connection: wait for the next head. */
    public void awaitNextHead() {
        waiting = true;
        started = false;
        arm(keepAliveNanos);
    }

    private void arm(long nanos) {
        cancel();
        timer = ctx.executor().schedule(this::expired, nanos, TimeUnit.NANOSECONDS);
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void expired() {
        timer = null;
        if (!waiting || !ctx.channel().isActive()) {
            return;
        }
        if (started) {
            ctx.fireUserEventTriggered(Expired.INSTANCE);
        } else {
            ctx.close();
        }
    }
}
