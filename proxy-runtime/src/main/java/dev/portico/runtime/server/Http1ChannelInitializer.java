package dev.portico.runtime.server;

import dev.portico.runtime.admission.DecodedRequestHeaders;
import dev.portico.runtime.config.SiteConfig;
import dev.portico.runtime.policy.SiteCompressor;
import dev.portico.runtime.proxy.ExchangeHandler;
import dev.portico.runtime.proxy.ProxyServices;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import java.time.Duration;

/**
 * The pipeline of an HTTP/1.1 client connection, assembled in one place: head timeout,
 * then the HTTP/1.1 codec (with the {@link ObsFoldGuard} on either side), then the proxy.
 * Plain connections get it once {@link ClientConnections} admitted them (after the PROXY header,
 * with spec.proxyProtocol); TLS connections after ALPN chose http/1.1.
 */
public final class Http1ChannelInitializer extends ChannelInitializer<Channel> {

    /** How long an idle keep-alive client connection is kept (nginx's default is 75 s). */
    static final Duration KEEP_ALIVE_TIMEOUT = Duration.ofSeconds(75);
    static final int MAX_INITIAL_LINE = 8 * 1024;
    static final int MAX_CONTENT_PIECE = 64 * 1024;

    private final ProxyServices services;
    private final ConnectionsPerClient perClient;

    public Http1ChannelInitializer(ProxyServices services, ConnectionsPerClient perClient) {
        this.services = services;
        this.perClient = perClient;
    }

    @Override
    protected void initChannel(Channel channel) {
        ClientConnections.accept(channel, services, perClient, pipeline -> addHandlers(pipeline, services, false));
    }

    static void addHandlers(ChannelPipeline pipeline, ProxyServices services, boolean tls) {
        // Limits are read per connection: a reload applies to connections opened after it.
        SiteConfig.Limits limits = services.config().current().limits();
        RequestHeadTimeout headTimeout = new RequestHeadTimeout(limits.requestHeaderTimeout(), KEEP_ALIVE_TIMEOUT);
        pipeline.addLast("head-timeout", headTimeout);
        pipeline.addLast("codec", new HttpServerCodec(new HttpDecoderConfig()
                .setMaxInitialLineLength(MAX_INITIAL_LINE)
                .setMaxHeaderSize(limits.maxRequestHeadersSize())
                .setMaxChunkSize(MAX_CONTENT_PIECE)
                .setStrictLineParsing(true)
                .setHeadersFactory(DecodedRequestHeaders.FACTORY)));
        ObsFoldGuard.addAround(pipeline, "codec");
        addCompressor(pipeline, services);
        pipeline.addLast("proxy", ExchangeHandler.forHttp1Connection(services, tls, headTimeout));
    }

    /**
     * Counts a client connection for {@code portico_connections_open}: once per TCP
     * connection (HTTP/2 streams are not connections), and on the close future, which
     * fires whatever the pipeline became (a WebSocket tunnel, an HTTP/2 multiplexer).
     */
    static void countConnection(Channel channel, ProxyServices services) {
        services.metrics().connectionOpened();
        channel.closeFuture().addListener(f -> services.metrics().connectionClosed());
    }

    /** Compression is set per connection, like the limits: only sites that enable it pay for it. */
    static void addCompressor(ChannelPipeline pipeline, ProxyServices services) {
        long minSize = services.config().current().compressionMinSize();
        if (minSize >= 0) {
            pipeline.addLast("compress", new SiteCompressor(minSize));
        }
    }
}
