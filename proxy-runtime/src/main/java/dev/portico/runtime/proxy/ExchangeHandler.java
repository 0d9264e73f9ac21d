package dev.portico.runtime.proxy;

import dev.portico.runtime.config.SiteConfig;
import dev.portico.runtime.forwarding.IpAddresses;
import dev.portico.runtime.server.ConnectionAddress;
import dev.portico.runtime.server.ObsFoldGuard;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The streaming core's channel end, the same for both carriers of requests: an HTTP/1.x client
 * connection ({@link #forHttp1Connection}), which carries one exchange after another, or an HTTP/2
 * stream ({@link #forHttp2Stream}), which carries one. Runs one {@link Exchange} at a time, holds
 * pipelined requests until the response before them is complete so answers leave in order, and
 * pauses reading only under backpressure.
 */
public final class ExchangeHandler extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(ExchangeHandler.class);
    /** How long a closing connection keeps reading the rest of a request it answered early. */
    static final Duration LINGER = Duration.ofSeconds(5);

    /** Pipelined messages held while a response is in progress before reading pauses. */
    static final int MAX_PIPELINED = 64;

    private final ProxyServices services;
    private final boolean tls;
    private final HeadTimer headTimeout;
    private final boolean multiplexed;
    private final ArrayDeque<Object> pipelined = new ArrayDeque<>();
    private ChannelHandlerContext ctx;
    private InetAddress peer;
    private String peerText;
    private Exchange exchange;
    /** One response timeout per connection, re-armed per exchange without rescheduling. */
    private Deadline responseDeadline;
    /** limits.requestBodyTimeout: re-armed at each read while the client owes a request body. */
    private Deadline bodyDeadline;
    /** limits.sendTimeout: armed while the client leaves our send buffer full. */
    private Deadline sendDeadline;
    /** The route's idle timeout while a response streams; made at the first streaming response. */
    private Deadline idleDeadline;
    private long bodyTimeoutNanos;
    private long sendTimeoutNanos;
    private boolean closing;
    private boolean draining;
    /** HTTP/2: the stream's request was refused, so the stream ends with RST_STREAM(REFUSED_STREAM). */
    private boolean refused;

    /** The handler of an HTTP/1.x client connection, plain or TLS, whose heads {@code headTimeout} times. */
    public static ExchangeHandler forHttp1Connection(ProxyServices services, boolean tls, HeadTimer headTimeout) {
        return new ExchangeHandler(services, tls, headTimeout, false);
    }

    /** The handler of one HTTP/2 stream (always over TLS; it arrives with its head, so no head timer). */
    public static ExchangeHandler forHttp2Stream(ProxyServices services) {
        return new ExchangeHandler(services, true, HeadTimer.NONE, true);
    }

    /**
     * @param multiplexed true on an HTTP/2 stream channel: one exchange, then the stream
     *                    ends; false on an HTTP/1.x connection that carries many
     */
    private ExchangeHandler(ProxyServices services, boolean tls, HeadTimer headTimeout, boolean multiplexed) {
        this.services = services;
        this.tls = tls;
        this.headTimeout = headTimeout;
        this.multiplexed = multiplexed;
    }

    InetAddress peer() {
        return peer;
    }

    String peerText() {
        return peerText;
    }

    Deadline responseDeadline() {
        return responseDeadline;
    }

    /** Whether this is an HTTP/2 stream rather than an HTTP/1.x connection. */
    boolean multiplexed() {
        return multiplexed;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.responseDeadline = new Deadline(ctx.executor(), () -> {
            if (exchange != null) {
                exchange.onResponseTimeout();
            }
        });
        // Read per connection (per stream on HTTP/2), like the head limits: a reload applies
        // to connections opened after it.
        SiteConfig.Limits limits = services.config().current().limits();
        this.bodyTimeoutNanos = limits.requestBodyTimeout().toNanos();
        this.sendTimeoutNanos = limits.sendTimeout().toNanos();
        this.bodyDeadline = new Deadline(ctx.executor(), () -> {
            if (exchange != null) {
                exchange.onRequestBodyTimeout();
            }
        });
        this.sendDeadline = new Deadline(ctx.executor(), this::sendTimedOut);
        // After TLS and ALPN the connection is active before this handler joins it.
        if (ctx.channel().isActive()) {
            begin(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        begin(ctx);
        ctx.fireChannelActive();
    }

    private void begin(ChannelHandlerContext ctx) {
        if (peer != null) {
            return;
        }
        // The TCP peer, or the client a PROXY protocol header named; an HTTP/2 stream's is its connection's.
        peer = ConnectionAddress.of(ctx.channel()).getAddress();
        peerText = IpAddresses.format(peer);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closing = true;
        responseDeadline.cancel();
        bodyDeadline.cancel();
        sendDeadline.cancel();
        cancelIdle();
        releasePipelined();
        if (exchange != null) {
            exchange.onDownstreamClosed();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (closing) {
            ReferenceCountUtil.release(msg);
        } else if (exchange != null && exchange.requestComplete() || !pipelined.isEmpty()) {
            pipelined.add(msg);
            if (pipelined.size() >= MAX_PIPELINED) {
                updateReading();
            }
        } else {
            dispatch(msg);
        }
    }

    private void dispatch(Object msg) {
        if (exchange != null) {
            exchange.onRequestContent((HttpContent) msg);
            return;
        }
        if (!(msg instanceof HttpRequest request)) {
            // Leftovers of a request that was already answered and is being closed.
            ReferenceCountUtil.release(msg);
            return;
        }
        headTimeout.headReceived();
        Exchange started = new Exchange(this, ctx, services, request, tls);
        exchange = started;
        started.start();
        if (msg instanceof FullHttpRequest full) {
            // Head and body in one: an HTTP/2 request that ended with its HEADERS frame,
            // or the decoder's "invalid message". The exchange takes the body as its end.
            LastHttpContent end = new DefaultLastHttpContent(full.content());
            if (exchange == started) {
                started.onRequestContent(end);
            } else {
                end.release();
            }
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (exchange != null) {
            exchange.flushUpstream();
        }
        updateReading();
    }

    /**
     * Reading stays on (no per-request epoll changes) and pauses only under pressure: an
     * upstream that cannot take the body yet, or too many pipelined requests waiting.
     */
    void updateReading() {
        if (closing) {
            return; // the close path owns reading from here on
        }
        boolean pause = pipelined.size() >= MAX_PIPELINED || exchange != null && exchange.holdsBackRequestBody();
        ctx.channel().config().setAutoRead(!pause);
        watchRequestBody(pause);
    }

    /**
     * requestBodyTimeout counts only while the client is the one we wait for: a request body
     * is owed and we are reading. Every read passes here (channelReadComplete), so a client
     * that keeps sending keeps pushing the deadline out; while we hold the body back (the
     * backend is slow to take it) the deadline is off and restarts in full when we read again.
     */
    private void watchRequestBody(boolean paused) {
        if (!paused && exchange != null && !exchange.requestComplete()) {
            bodyDeadline.arm(bodyTimeoutNanos);
        } else {
            bodyDeadline.disarm();
        }
    }

    /**
     * sendTimeout: the channel turns unwritable when more than its high-water mark (64 KiB)
     * waits in our buffer beyond what the kernel took, and writable again once the client read
     * enough to bring it under the low-water mark (32 KiB). A client that stays between the two
     * for sendTimeout is not reading: close the connection (on HTTP/2, reset the stream), which
     * aborts the exchange and closes its upstream connection rather than keeping it, and the
     * backend's response, waiting on the client.
     */
    private void sendTimedOut() {
        Channel channel = ctx.channel();
        if (channel.isActive() && !channel.isWritable()) {
            LOG.debug("client {} read nothing of its response for the send timeout; closing", peerText);
            channel.close();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            sendDeadline.disarm();
        } else {
            sendDeadline.arm(sendTimeoutNanos);
        }
        if (exchange != null) {
            exchange.onDownstreamWritabilityChanged(ctx.channel().isWritable());
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof HeadTimer.Expired && exchange == null && !closing) {
            closing = true;
            ctx.writeAndFlush(LocalResponses.error(ctx.alloc(), HttpResponseStatus.REQUEST_TIMEOUT,
                    services.config().current().responseHeaders(), tls, true))
                    .addListener(ChannelFutureListener.CLOSE);
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("client connection {} failed", peerText, cause);
        ctx.close();
    }

    /**
     * Re-armed at each read from the backend while a response streams: arming a {@link Deadline} that is already
     * scheduled only moves its deadline, so a busy stream costs no timer-queue work.
     */
    void armIdle(long nanos) {
        if (idleDeadline == null) {
            idleDeadline = new Deadline(ctx.executor(), this::idleTimedOut);
        }
        idleDeadline.arm(nanos);
    }

    void disarmIdle() {
        if (idleDeadline != null) {
            idleDeadline.disarm();
        }
    }

    private void cancelIdle() {
        if (idleDeadline != null) {
            idleDeadline.cancel();
        }
    }

    private void idleTimedOut() {
        if (exchange != null) {
            exchange.onIdleTimeout();
        }
    }

    /** On an HTTP/2 stream: end it with REFUSED_STREAM instead of a response, when the exchange is done. */
    void refuseStream() {
        refused = true;
    }

    /** Called by the exchange once both its request and its response are over. */
    void exchangeDone(boolean keepAlive, ChannelFuture lastWrite) {
        boolean bodyUnread = exchange != null && !exchange.requestComplete();
        exchange = null;
        bodyDeadline.disarm(); // from here an unread body is the lingering close's to bound
        if (multiplexed) {
            closing = true;
            ctx.flush();
            endStream(bodyUnread, lastWrite);
            return;
        }
        if (!keepAlive) {
            closing = true;
            releasePipelined();
            if (ctx.channel().isActive()) {
                ctx.writeAndFlush(Unpooled.EMPTY_BUFFER)
                        .addListener(bodyUnread ? this::lingeringClose : ChannelFutureListener.CLOSE);
            }
            return;
        }
        if (draining) {
            return; // the drain loop below is already running further up the stack
        }
        draining = true;
        try {
            while (!closing && !pipelined.isEmpty() && (exchange == null || !exchange.requestComplete())) {
                dispatch(pipelined.poll());
            }
        } finally {
            draining = false;
        }
        if (exchange == null && !closing) {
            headTimeout.awaitNextHead();
        }
        ctx.flush();
        updateReading();
    }

    /**
     * Closing a socket with request bytes still unread makes the kernel send a reset, which can
     * destroy the answer (a 413, a 400) before the client reads it, and fails a client still
     * sending its body. So, as RFC 9112 section 9.6 and nginx's lingering close do: end our side,
     * then read and drop what the client still sends until it closes, for at most {@link #LINGER}.
     */
    private void lingeringClose(Future<? super Void> flushed) {
        Channel channel = ctx.channel();
        if (!flushed.isSuccess() || !channel.isActive()) {
            channel.close();
            return;
        }
        if (!tls && channel instanceof DuplexChannel duplex) {
            duplex.shutdownOutput(); // with TLS, close_notify must come first: the client closes on Connection: close
        }
        new Deadline(ctx.executor(), channel::close).arm(LINGER.toNanos()); // once: the connection ends here
        channel.config().setAutoRead(true); // what arrives is released in channelRead (closing is set)
    }

    /**
     * An HTTP/2 stream ends once its response is out: closing the stream channel earlier
     * would reset the stream (CANCEL) while the response's last frames may still wait
     * behind flow control. A client still sending a body we no longer want gets to finish
     * it, read and dropped as over HTTP/1.1 (the stream channel closes itself at the
     * client's END_STREAM, or after the linger time); resetting at once would also keep
     * Netty from checking the rest of the stream (content-length, trailers), which h2spec
     * holds us to.
     */
    private void endStream(boolean bodyUnread, ChannelFuture lastWrite) {
        if (refused) {
            // The reset closes the stream; DATA the client still sends is dropped and credited back by Netty.
            ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.REFUSED_STREAM)).addListener(f -> ctx.close());
        } else if (bodyUnread && ctx.channel().isActive()) {
            lingeringClose(ctx.newSucceededFuture());
        } else if (lastWrite != null && !lastWrite.isDone()) {
            lastWrite.addListener(f -> ctx.close());
        } else {
            ctx.close();
        }
    }

    /**
     * After a 101, this connection stops speaking HTTP: the codec and this handler leave, and
     * {@code tunnel} relays bytes (its idle Deadline closes a silent tunnel).
     */
    void becomeTunnel(TunnelHandler tunnel) {
        responseDeadline.cancel();
        bodyDeadline.cancel();
        sendDeadline.cancel(); // the tunnel's idle timer bounds a peer that stops reading
        cancelIdle();
        ChannelPipeline pipeline = ctx.pipeline();
        pipeline.addLast("tunnel", tunnel);
        pipeline.remove(this);
        pipeline.remove(HttpServerCodec.class);
        ObsFoldGuard.removeFrom(pipeline);
        if (headTimeout instanceof ChannelHandler timer) {
            pipeline.remove(timer);
        }
        ctx.channel().config().setAutoRead(true);
    }

    private void releasePipelined() {
        for (Object msg; (msg = pipelined.poll()) != null; ) {
            ReferenceCountUtil.release(msg);
        }
    }
}
