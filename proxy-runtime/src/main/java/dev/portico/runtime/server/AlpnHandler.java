package dev.portico.runtime.server;

import dev.portico.runtime.proxy.ProxyServices;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;

/** After the TLS handshake: HTTP/2 when the client chose h2, HTTP/1.1 otherwise. */
final class AlpnHandler extends ApplicationProtocolNegotiationHandler {

    static final int MAX_CONCURRENT_STREAMS = 128;
    static final int INITIAL_WINDOW = 1024 * 1024;

    private final ProxyServices services;

    AlpnHandler(ProxyServices services) {
        super(ApplicationProtocolNames.HTTP_1_1);
        this.services = services;
    }

    @Override
    protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
        if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
            int maxHeaders = services.config().current().limits().maxRequestHeadersSize();
            ctx.pipeline().addLast("h2", Http2FrameCodecBuilder.forServer()
                    .initialSettings(Http2Settings.defaultSettings()
                            .maxConcurrentStreams(MAX_CONCURRENT_STREAMS)
                            .initialWindowSize(INITIAL_WINDOW)
                            .maxHeaderListSize(maxHeaders))
                    .validateHeaders(true)
                    .build());
            ctx.pipeline().addLast("streams", new Http2MultiplexHandler(new Http2StreamInitializer(services)));
        } else {
            Http1ChannelInitializer.addHandlers(ctx.pipeline(), services, true);
        }
    }
}
