package dev.portico.runtime.admin;

import dev.portico.runtime.metrics.ProxyMetrics;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;

/**
 * The metrics listener's one resource: {@code GET} or {@code HEAD /metrics}; 404 for any other path, 405 for
 * other methods, 400 (and close) for a head over the codec's limits.
 */
final class MetricsHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    private final ProxyMetrics metrics;

    MetricsHandler(ProxyMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        String path = request.uri().split("\\?", 2)[0];
        FullHttpResponse response;
        if (request.decoderResult().isFailure()) {
            // A head over the codec's limits, or not HTTP: answer once and close.
            response = AdminHandler.text(HttpResponseStatus.BAD_REQUEST, AdminHandler.TEXT, "400 Bad Request\n");
            HttpUtil.setKeepAlive(response, false);
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        if (!path.equals("/metrics")) {
            response = AdminHandler.text(HttpResponseStatus.NOT_FOUND, AdminHandler.TEXT, "404 Not Found\n");
        } else if (!request.method().equals(HttpMethod.GET) && !request.method().equals(HttpMethod.HEAD)) {
            response = AdminHandler.text(HttpResponseStatus.METHOD_NOT_ALLOWED, AdminHandler.TEXT,
                    "405 Method Not Allowed\n");
            response.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
        } else {
            response = AdminHandler.text(HttpResponseStatus.OK, AdminHandler.PROMETHEUS, metrics.scrape());
        }
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        HttpUtil.setKeepAlive(response, keepAlive);
        var future = ctx.writeAndFlush(response);
        if (!keepAlive) {
            future.addListener(ChannelFutureListener.CLOSE);
        }
    }
}
