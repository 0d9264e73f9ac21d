package dev.portico.runtime.server;

import dev.portico.runtime.proxy.ExchangeHandler;
import dev.portico.runtime.proxy.ProxyServices;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;

/**
 * Each HTTP/2 stream becomes a channel carrying one request as HTTP/1.1 objects, so the
 * same proxy handler serves both protocols; the stream's flow-control window is the
 * channel's writability, which gives HTTP/2 the same backpressure.
 */
final class Http2StreamInitializer extends ChannelInitializer<Channel> {

    private final ProxyServices services;

    Http2StreamInitializer(ProxyServices services) {
        this.services = services;
    }

    @Override
    protected void initChannel(Channel stream) {
        stream.pipeline().addLast("h2-to-h1", new Http2StreamFrameToHttpObjectCodec(true));
        Http1ChannelInitializer.addCompressor(stream.pipeline(), services);
        stream.pipeline().addLast("proxy", ExchangeHandler.forHttp2Stream(services));
    }
}
