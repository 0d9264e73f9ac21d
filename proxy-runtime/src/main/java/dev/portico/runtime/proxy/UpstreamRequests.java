package dev.portico.runtime.proxy;

import dev.portico.runtime.admission.RequestTarget;
import dev.portico.runtime.forwarding.ClientAddressResolver;
import dev.portico.runtime.forwarding.ForwardedHeaders;
import dev.portico.runtime.headers.HopByHopHeaders;
import dev.portico.runtime.routing.CompiledRoute;
import dev.portico.runtime.routing.HostNames;
import dev.portico.runtime.routing.RouteAction.UpstreamTarget;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

/**
 * The request head the backend gets: the client's, minus hop-by-hop headers and names spelled
 * with underscores ({@link dev.portico.runtime.headers.ClientFields}), plus the
 * forwarded headers and the route's and site's request rules, as HTTP/1.1 (the stream codec of an
 * HTTP/2 backend turns it into HEADERS: Host becomes :authority, connection-specific fields go), with the
 * normalised path (the one routing matched), rewritten only when the route says so, and the
 * query as received.
 */
final class UpstreamRequests {

    private UpstreamRequests() {}

    static boolean isWebSocketUpgrade(HttpHeaders headers) {
        return headers.contains(HttpHeaderNames.UPGRADE)
                && headers.containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)
                && headers.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true);
    }

    /**
     * A request without an authority (HTTP/1.0 without Host, HTTP/2 without :authority) goes on as HTTP/1.1, which
     * requires Host (RFC 9112 3.2: a server answers 400 and closes): it gets {@code upstream}'s own authority, as
     * nginx's default {@code Host $proxy_host}. Every head the proxy sends a backend or an auth service passes here.
     */
    static void ensureHost(HttpHeaders headers, UpstreamTarget upstream) {
        if (!headers.contains(HttpHeaderNames.HOST)) {
            headers.set(HttpHeaderNames.HOST, upstream.authority());
        }
    }

    /** Builds the upstream head from the client's, reusing (and editing) its header object. */
    static HttpRequest build(HttpRequest request, RequestTarget target, CompiledRoute route, UpstreamTarget upstream,
                             ClientAddressResolver.Resolution client, String peer, boolean tls, boolean websocket,
                             boolean http2) {
        HttpHeaders headers = request.headers();
        boolean chunked = HttpUtil.isTransferEncodingChunked(request);
        // "te: trailers" is the one TE an HTTP/2 request may carry (RFC 9113 8.2.2); gRPC servers want it.
        boolean trailers = http2 && headers.containsValue(HttpHeaderNames.TE, HttpHeaderValues.TRAILERS, true);
        route.clientFields().filterHeaders(headers);
        HopByHopHeaders.strip(headers);
        headers.remove(HttpHeaderNames.EXPECT); // the proxy answered it
        if (trailers) {
            headers.set(HttpHeaderNames.TE, HttpHeaderValues.TRAILERS);
        }
        if (websocket) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
            headers.set(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET);
        } else if (chunked) {
            headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        int port = HostNames.port(target.authority());
        ForwardedHeaders.apply(headers, client, peer, tls ? "https" : "http", target.authority(),
                port > 0 ? port : tls ? 443 : 80);
        route.requestHeaders().apply(headers, tls);
        ensureHost(headers, upstream);
        String uri = route.upstreamPath(target.path()) + target.query();
        return new DefaultHttpRequest(HttpVersion.HTTP_1_1, request.method(), uri, headers);
    }
}
