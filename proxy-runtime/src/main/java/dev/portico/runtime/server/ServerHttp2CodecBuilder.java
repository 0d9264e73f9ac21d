package dev.portico.runtime.server;

import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Settings;

/**
 * {@link Http2FrameCodecBuilder#forServer()} with {@link ClosedStreamGuard} in front of the
 * decoder Netty assembles, so every limit the builder adds (reset floods, control frame queue,
 * empty DATA frames) stays Netty's own.
 */
final class ServerHttp2CodecBuilder extends Http2FrameCodecBuilder {

    ServerHttp2CodecBuilder() {
        server(true);
        // What forServer() sets: the connection closes when the codec says so, with no grace timer.
        gracefulShutdownTimeoutMillis(0);
    }

    @Override
    protected Http2FrameCodec build(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder,
                                    Http2Settings initialSettings) {
        return super.build(new ClosedStreamGuard(decoder), encoder, initialSettings);
    }
}
