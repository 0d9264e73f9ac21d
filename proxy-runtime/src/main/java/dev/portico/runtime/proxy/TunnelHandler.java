package dev.portico.runtime.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

/**
 * One direction of an upgraded connection (WebSocket after its 101): bytes read here
 * are written to the peer, with backpressure both ways (the Pulsar proxy's two lines),
 * until either side closes or the idle timeout fires. The two directions share one idle
 * {@link Deadline}, re-armed by a read on either side.
 */
final class TunnelHandler extends ChannelInboundHandlerAdapter {

    private final Channel peer;
    private final Deadline idle;
    private final long idleNanos;
    private long relayed;

    TunnelHandler(Channel peer, Deadline idle, long idleNanos) {
        this.peer = peer;
        this.idle = idle;
        this.idleNanos = idleNanos;
    }

    /** Bytes read on this handler's channel and passed to the peer. */
    long relayed() {
        return relayed;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf bytes)) {
            // The tail of the HTTP exchange (an empty LastHttpContent) may still pass by.
            ReferenceCountUtil.release(msg);
            return;
        }
        idle.arm(idleNanos);
        relayed += bytes.readableBytes();
        peer.write(bytes, peer.voidPromise());
        if (!peer.isWritable()) {
            ctx.channel().config().setAutoRead(false);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        peer.flush();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        // We drained: let the side that writes to us read again.
        peer.config().setAutoRead(ctx.channel().isWritable());
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        idle.cancel();
        closeAfterFlush(peer);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }

    static void closeAfterFlush(Channel channel) {
        if (channel.isActive()) {
            channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
