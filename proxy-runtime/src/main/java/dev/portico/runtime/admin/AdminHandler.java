package dev.portico.runtime.admin;

import dev.portico.runtime.config.ConfigHolder;
import dev.portico.runtime.metrics.ProxyMetrics;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.function.BooleanSupplier;

/**
 * {@code /healthz}, {@code /readyz}, {@code /metrics} and {@code GET /config}; never key
 * material. {@code PUT /config} is the {@link ConfigPushHandler}'s.
 */
final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    static final String TEXT = "text/plain; charset=utf-8";
    static final String PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8";

    private final ConfigHolder config;
    private final ProxyMetrics metrics;
    private final BooleanSupplier ready;

    AdminHandler(ConfigHolder config, ProxyMetrics metrics, BooleanSupplier ready) {
        this.config = config;
        this.metrics = metrics;
        this.ready = ready;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        String path = request.uri().split("\\?", 2)[0];
        FullHttpResponse response;
        if (!request.method().equals(HttpMethod.GET) && !request.method().equals(HttpMethod.HEAD)) {
            response = text(HttpResponseStatus.METHOD_NOT_ALLOWED, TEXT, "405 Method Not Allowed\n");
            response.headers().set(HttpHeaderNames.ALLOW, path.equals("/config") ? "GET, HEAD, PUT" : "GET, HEAD");
        } else {
            response = switch (path) {
                case "/healthz" -> text(HttpResponseStatus.OK, TEXT, "ok\n");
                case "/readyz" -> ready.getAsBoolean()
                        ? text(HttpResponseStatus.OK, TEXT, "ready\n")
                        : text(HttpResponseStatus.SERVICE_UNAVAILABLE, TEXT, "not ready\n");
                case "/metrics" -> text(HttpResponseStatus.OK, PROMETHEUS, metrics.scrape());
                case "/config" -> text(HttpResponseStatus.OK, "application/json", ConfigJson.of(config.current()));
                default -> text(HttpResponseStatus.NOT_FOUND, TEXT, "404 Not Found\n");
            };
        }
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        HttpUtil.setKeepAlive(response, keepAlive);
        var future = ctx.writeAndFlush(response);
        if (!keepAlive) {
            future.addListener(ChannelFutureListener.CLOSE);
        }
    }

    static FullHttpResponse text(HttpResponseStatus status, String type, String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.wrappedBuffer(bytes));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, type).set(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
        return response;
    }
}
