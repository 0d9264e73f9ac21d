package dev.portico.runtime.upstream;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

/**
 * The last handler of an upstream connection: hands everything to the exchange that
 * holds the connection. While the connection idles in the pool nothing should get here
 * ({@link UpstreamHttpCodec} drops and closes on any byte that answers no request); if
 * anything does, it is dropped and the connection closed all the same.
 */
final class UpstreamHandler extends ChannelInboundHandlerAdapter {

    private UpstreamListener listener;

    void attach(UpstreamListener listener) {
        this.listener = listener;
    }

    void detach() {
        this.listener = null;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (listener != null) {
            listener.onUpstreamMessage(msg);
        } else {
            // An idle keep-alive connection must not speak: whatever it says, it is unusable.
            ReferenceCountUtil.release(msg);
            ctx.close();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (listener != null) {
            listener.onUpstreamReadComplete();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (listener != null) {
            listener.onUpstreamWritabilityChanged(ctx.channel().isWritable());
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        UpstreamListener current = listener;
        listener = null;
        // An idle pooled connection needs nothing here: acquire() and the sweep skip closed channels.
        if (current != null) {
            current.onUpstreamClosed(null);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        UpstreamListener current = listener;
        listener = null;
        ctx.close();
        if (current != null) {
            current.onUpstreamClosed(cause);
        }
    }
}
