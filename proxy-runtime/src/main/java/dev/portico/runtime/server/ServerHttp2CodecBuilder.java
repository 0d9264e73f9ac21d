package dev.portico.runtime.server;

import io.netty.handler.codec.http2.DefaultHttp2Connection;
import io.netty.handler.codec.http2.DefaultHttp2RemoteFlowController;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.UniformStreamByteDistributor;

/**
 * {@link Http2FrameCodecBuilder#forServer()} with {@link ClosedStreamGuard} in front of the
 * decoder Netty assembles, so every limit the builder adds (reset floods, control frame queue,
 * empty DATA frames) stays Netty's own, and response bytes shared out evenly between streams.
 */
final class ServerHttp2CodecBuilder extends Http2FrameCodecBuilder {

    ServerHttp2CodecBuilder() {
        connection(serverConnection());
        // What forServer() sets: the connection closes when the codec says so, with no grace timer.
        gracefulShutdownTimeoutMillis(0);
    }

    /**
     * A server connection whose streams share the connection window evenly. Netty's default
     * distributor weighs streams by the priority tree, which RFC 9113 deprecates and which costs a
     * tree node and queue work per stream; clients that still send priorities gain nothing from a
     * proxy whose responses come from elsewhere anyway.
     */
    private static Http2Connection serverConnection() {
        Http2Connection connection = new DefaultHttp2Connection(true);
        connection.remote().flowController(
                new DefaultHttp2RemoteFlowController(connection, new UniformStreamByteDistributor(connection)));
        return connection;
    }

    @Override
    protected Http2FrameCodec build(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder,
                                    Http2Settings initialSettings) {
        return super.build(new ClosedStreamGuard(decoder), encoder, initialSettings);
    }
}
