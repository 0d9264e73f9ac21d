package dev.portico.runtime.testing;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.netty.util.ReferenceCountUtil;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * The WebSocket side of {@link TestBackend}: turns an upgrade request into a WebSocket connection that echoes every
 * data frame. Two text messages steer it: {@code close} drops the TCP connection without a Close frame (an origin
 * crash) and {@code bye} starts the closing handshake from the server side.
 */
final class WebSocketEcho extends ChannelInboundHandlerAdapter {

    private static final int MAX_FRAME_PAYLOAD = 16 * 1024 * 1024;
    /** How long to wait for the client's Close after our own before dropping the connection anyway. */
    private static final long CLOSE_HANDSHAKE_TIMEOUT_MS = 5_000;

    private boolean closeSent;

    private WebSocketEcho() {
    }

    /** Performs the handshake for {@code head} (whose empty body has been consumed) and swaps in the echo handler. */
    static void upgrade(ChannelHandlerContext ctx, HttpRequest head, int port) {
        FullHttpRequest request = new DefaultFullHttpRequest(head.protocolVersion(), head.method(), head.uri(),
                Unpooled.EMPTY_BUFFER, head.headers(), EmptyHttpHeaders.INSTANCE);
        // "*" accepts whatever subprotocol the client offers first, so clients that insist on one still connect.
        WebSocketServerHandshaker handshaker = new WebSocketServerHandshakerFactory(
                "ws://127.0.0.1:" + port + head.uri(), "*", true, MAX_FRAME_PAYLOAD).newHandshaker(request);
        if (handshaker == null) {
            WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel())
                    .addListener(ChannelFutureListener.CLOSE);
            return;
        }
        ctx.pipeline().remove(HttpServerKeepAliveHandler.class);
        ctx.pipeline().replace(ctx.handler(), "websocket", new WebSocketEcho());
        try {
            handshaker.handshake(ctx.channel(), request).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        } catch (RuntimeException e) {
            // e.g. a missing Sec-WebSocket-Key: answer like a strict origin would.
            FullHttpResponse bad = new DefaultFullHttpResponse(head.protocolVersion(), HttpResponseStatus.BAD_REQUEST,
                    Unpooled.copiedBuffer(String.valueOf(e.getMessage()), StandardCharsets.UTF_8));
            bad.headers().set(HttpHeaderNames.CONTENT_LENGTH, bad.content().readableBytes());
            ctx.channel().writeAndFlush(bad).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof TextWebSocketFrame text && text.isFinalFragment()) {
            String command = text.text();
            if ("close".equals(command)) {
                text.release();
                ctx.close();
                return;
            }
            if ("bye".equals(command)) {
                text.release();
                sendClose(ctx, new CloseWebSocketFrame(1000, "bye"));
                return;
            }
        }
        if (msg instanceof CloseWebSocketFrame close) {
            if (closeSent) {
                close.release();
                ctx.close();
            } else {
                // Answer the client's Close with the same status, then end the TCP connection as the server should.
                closeSent = true;
                ctx.writeAndFlush(close).addListener(ChannelFutureListener.CLOSE);
            }
        } else if (msg instanceof PingWebSocketFrame ping) {
            ctx.writeAndFlush(new PongWebSocketFrame(ping.content()));
        } else if (msg instanceof PongWebSocketFrame pong) {
            pong.release();
        } else if (msg instanceof io.netty.handler.codec.http.websocketx.WebSocketFrame frame) {
            // Text, binary and continuation frames go back as they came, fragmentation included.
            ctx.writeAndFlush(frame);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private void sendClose(ChannelHandlerContext ctx, CloseWebSocketFrame frame) {
        if (closeSent) {
            frame.release();
            return;
        }
        closeSent = true;
        ctx.writeAndFlush(frame);
        ctx.executor().schedule(() -> ctx.close(), CLOSE_HANDSHAKE_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
