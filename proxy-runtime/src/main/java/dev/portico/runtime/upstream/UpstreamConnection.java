package dev.portico.runtime.upstream;

import dev.portico.runtime.routing.RouteAction.UpstreamTarget;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;

/**
 * A connection lent by the pool to one exchange: an HTTP/1.1 connection, or a stream of an
 * HTTP/2 one (then {@link #channel()} is the stream's channel and there is no HTTP/1.1 codec). {@code reused} tells whether it served
 * a request before: a reused connection may have been closed by the backend in the
 * meantime, which makes a failed idempotent request safe to retry once.
 */
public final class UpstreamConnection {

    private final UpstreamPool pool;
    private final UpstreamTarget target;
    private final Channel channel;
    private final UpstreamHandler handler;
    private final UpstreamHttpCodec codec;
    private final boolean reused;
    private boolean returned;

    UpstreamConnection(UpstreamPool pool, UpstreamTarget target, Channel channel, UpstreamHandler handler,
                       UpstreamHttpCodec codec, boolean reused) {
        this.pool = pool;
        this.target = target;
        this.channel = channel;
        this.handler = handler;
        this.codec = codec;
        this.reused = reused;
    }

    public Channel channel() {
        return channel;
    }

    UpstreamHandler handler() {
        return handler;
    }

    UpstreamHttpCodec codec() {
        return codec;
    }

    public boolean reused() {
        return reused;
    }

    public UpstreamTarget target() {
        return target;
    }

    /**
     * Gives a connection whose last response was complete and keep-alive back to the pool,
     * which closes it instead if its codec is not idle.
     */
    public void release() {
        if (!returned) {
            returned = true;
            pool.release(this);
        }
    }

    /**
     * Turns the connection into a raw byte pipe after a protocol switch (WebSocket): the
     * HTTP codec goes, {@code tunnel} takes every byte, and the pool never sees it again.
     * The handler is added before the codec leaves, so bytes the codec already buffered
     * reach the tunnel.
     */
    public void handOver(ChannelHandler tunnel) {
        if (codec == null) {
            throw new IllegalStateException("an HTTP/2 stream cannot become a tunnel");
        }
        returned = true;
        ChannelPipeline pipeline = channel.pipeline();
        pipeline.addLast("tunnel", tunnel);
        pipeline.remove(handler);
        pipeline.remove(codec);
        channel.config().setAutoRead(true);
    }

    /** Closes a connection that cannot be reused (error, timeout, unframed or upgraded response). */
    public void discard() {
        if (!returned) {
            returned = true;
            pool.discard(this);
        }
    }
}
