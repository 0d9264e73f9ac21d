package dev.portico.runtime.proxy;

import dev.portico.runtime.admission.RequestTarget;
import dev.portico.runtime.auth.ForwardAuthPolicy;
import dev.portico.runtime.forwarding.ClientAddressResolver;
import dev.portico.runtime.forwarding.ForwardedHeaders;
import dev.portico.runtime.headers.HopByHopHeaders;
import dev.portico.runtime.routing.CompiledRoute;
import dev.portico.runtime.routing.HostNames;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;

/**
 * The head of a forward-auth subrequest: the client's method and headers (a copy: the client's head still goes
 * upstream afterwards), without its body or the fields that frame one, with the forwarded headers a backend gets
 * (Host as the client sent it, or the auth service's own when it sent none; X-Forwarded-For, -Proto, -Host,
 * -Port), plus where the request was going, in the
 * forms auth services read: Traefik's X-Forwarded-Method and X-Forwarded-Uri (authentik's /auth/traefik, Authelia's
 * /api/authz/forward-auth) and nginx's X-Original-URL and X-Original-Method (authentik's /auth/nginx, Authelia's
 * /api/authz/auth-request). These four are always the proxy's, never a client's.
 */
final class ForwardAuthRequests {

    static final AsciiString X_FORWARDED_METHOD = AsciiString.cached("x-forwarded-method");
    static final AsciiString X_FORWARDED_URI = AsciiString.cached("x-forwarded-uri");
    static final AsciiString X_ORIGINAL_URL = AsciiString.cached("x-original-url");
    static final AsciiString X_ORIGINAL_METHOD = AsciiString.cached("x-original-method");

    private ForwardAuthRequests() {}

    static FullHttpRequest build(ForwardAuthPolicy policy, HttpRequest request, RequestTarget target,
                                 CompiledRoute route, ClientAddressResolver.Resolution client, String peer,
                                 boolean tls) {
        HttpHeaders headers = request.headers().copy();
        route.clientFields().filterHeaders(headers);
        HopByHopHeaders.strip(headers);
        headers.remove(HttpHeaderNames.CONTENT_LENGTH); // the body stays with the client until the answer
        headers.remove(HttpHeaderNames.EXPECT);
        String scheme = tls ? "https" : "http";
        int port = HostNames.port(target.authority());
        ForwardedHeaders.apply(headers, client, peer, scheme, target.authority(), port > 0 ? port : tls ? 443 : 80);
        UpstreamRequests.ensureHost(headers, policy.target()); // after apply, as for a backend: only if nothing set Host
        headers.set(X_FORWARDED_METHOD, request.method().name());
        headers.set(X_FORWARDED_URI, target.uri());
        headers.set(X_ORIGINAL_METHOD, request.method().name());
        headers.set(X_ORIGINAL_URL, scheme + "://" + target.authority() + target.uri());
        return new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, request.method(), policy.uri(), Unpooled.EMPTY_BUFFER,
                headers, EmptyHttpHeaders.INSTANCE);
    }
}
