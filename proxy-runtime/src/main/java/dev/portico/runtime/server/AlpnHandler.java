package dev.portico.runtime.server;

import dev.portico.runtime.proxy.ProxyServices;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2FrameStreamException;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** After the TLS handshake: HTTP/2 when the client chose h2, HTTP/1.1 otherwise. */
final class AlpnHandler extends ApplicationProtocolNegotiationHandler {

    private static final Logger LOG = LoggerFactory.getLogger(AlpnHandler.class);

    static final int MAX_CONCURRENT_STREAMS = 128;
    static final int INITIAL_WINDOW = 1024 * 1024;
    static final int MAX_RESETS = 200;
    static final int RESET_WINDOW_SECONDS = 30;

    private final ProxyServices services;

    AlpnHandler(ProxyServices services) {
        super(ApplicationProtocolNames.HTTP_1_1);
        this.services = services;
    }

    @Override
    protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
        if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
            int maxHeaders = services.config().current().limits().maxRequestHeadersSize();
            ctx.pipeline().addLast("h2", codec(maxHeaders).build());
            // Responses of many streams come back in one turn of the event loop (each on its own
            // upstream connection): flushing each one alone costs a TLS record and a send() per
            // response. This defers the streams' flushes to the end of the read, or of the turn,
            // so they leave together. It sits between the codec and the streams, so the codec's
            // own flushes (SETTINGS, WINDOW_UPDATE, PING acks) are not delayed.
            ctx.pipeline().addLast("flush-consolidation", new FlushConsolidationHandler(
                    FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true));
            ctx.pipeline().addLast("stream-errors", StreamErrorReset.INSTANCE);
            ctx.pipeline().addLast("streams", new Http2MultiplexHandler(new Http2StreamInitializer(services)));
            ctx.pipeline().addLast("connection-errors", ConnectionErrorLog.INSTANCE);
        } else {
            Http1ChannelInitializer.addHandlers(ctx.pipeline(), services, true);
        }
    }

    /**
     * The HTTP/2 codec of a connection that chose h2, with up to {@code maxHeaders} bytes of
     * request headers (a builder, so that tests can add a frame logger to the same settings).
     */
    static Http2FrameCodecBuilder codec(int maxHeaders) {
        return new ServerHttp2CodecBuilder()
                .initialSettings(Http2Settings.defaultSettings()
                        .maxConcurrentStreams(MAX_CONCURRENT_STREAMS)
                        .initialWindowSize(INITIAL_WINDOW)
                        .maxHeaderListSize(maxHeaders))
                .validateHeaders(true)
                // A request without :method, :scheme or :path is malformed (RFC 9113 8.3.1):
                // reset it with PROTOCOL_ERROR instead of proxying it.
                .validateRequiredPseudoHeaders(true)
                // Reset floods (CVE-2023-44487 rapid reset: the client resets; CVE-2025-55163
                // MadeYouReset: the client makes us reset): past 200 RST_STREAM either way in 30 s,
                // GOAWAY(ENHANCE_YOUR_CALM) and close. Netty's defaults, pinned: RapidResetTest and
                // SECURITY.md rely on them.
                .decoderEnforceMaxRstFramesPerWindow(MAX_RESETS, RESET_WINDOW_SECONDS)
                .encoderEnforceMaxRstFramesPerWindow(MAX_RESETS, RESET_WINDOW_SECONDS);
    }

    /**
     * A stream error the peer caused (DATA after END_STREAM, a content-length the DATA frames do not
     * match, pseudo-headers in trailers, a stream window past 2^31-1...) must reset the stream with
     * that error's code (RFC 9113 5.4.2). Http2FrameCodec only hands it on as an exception and leaves
     * the reset to the stream channel, which sends nothing when it is already closed (our answer was
     * complete, as a `respond` route's is at once) and CANCEL when the proxy handler closes it first.
     * So the reset is written here, before the stream channel hears of it; a later reset of the same
     * stream is not sent twice.
     */
    @ChannelHandler.Sharable
    static final class StreamErrorReset extends ChannelInboundHandlerAdapter {
        static final StreamErrorReset INSTANCE = new StreamErrorReset();

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof Http2FrameStreamException e) {
                // Frames the stream already wrote (a response's DATA waiting for a flush) go out
                // first: nothing may follow the reset on the wire.
                ctx.flush();
                ctx.writeAndFlush(new DefaultHttp2ResetFrame(e.error()).stream(e.stream()));
            }
            ctx.fireExceptionCaught(cause);
        }
    }

    /**
     * Connection errors (a reset flood, a protocol error) pass the multiplexer just before Http2FrameCodec
     * sends its GOAWAY and closes, as do I/O errors (a client's TCP reset). Without this they reach the
     * pipeline's tail, where Netty logs a WARN per connection: a log flood any client can cause. A debug
     * line instead; closing is the codec's (closing here first would replace its GOAWAY by a NO_ERROR one).
     */
    @ChannelHandler.Sharable
    static final class ConnectionErrorLog extends ChannelInboundHandlerAdapter {
        static final ConnectionErrorLog INSTANCE = new ConnectionErrorLog();

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("HTTP/2 connection {} failed: {}", ConnectionAddress.of(ctx.channel()), cause.toString());
        }
    }

    /**
     * Clients that go away mid-handshake (a reset, a scanner, a load tester stopping) are
     * routine at the edge: a debug line, not a warning with a stack trace per connection.
     */
    @Override
    protected void handshakeFailure(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("TLS handshake with {} failed: {}", ConnectionAddress.of(ctx.channel()), cause.toString());
        ctx.close();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("connection {} failed before a protocol was chosen: {}", ConnectionAddress.of(ctx.channel()),
                cause.toString());
        ctx.close();
    }
}
