package dev.portico.runtime.balancing;

import io.netty.handler.codec.http.cookie.CookieHeaderNames;
import io.netty.handler.codec.http.cookie.DefaultCookie;
import io.netty.handler.codec.http.cookie.ServerCookieEncoder;
import java.time.Duration;

/**
 * The cookie of a Cookie consistent-hash balancer: its value is the id of the endpoint that
 * served, an opaque hash of its address, so a later request names its endpoint directly. Set
 * when the request had none or named an endpoint that can no longer take requests.
 *
 * @param maxAge null for a session cookie
 */
public record StickyCookie(String name, String path, Duration maxAge) {

    /** The Set-Cookie value for {@code endpoint}, or null when the request already names it. */
    public String setCookie(PickRequest request, Endpoint endpoint, boolean tls) {
        if (endpoint.id().equals(request.cookie(name))) {
            return null;
        }
        DefaultCookie cookie = new DefaultCookie(name, endpoint.id());
        cookie.setPath(path);
        cookie.setHttpOnly(true);
        cookie.setSecure(tls);
        cookie.setSameSite(CookieHeaderNames.SameSite.Lax);
        if (maxAge != null) {
            cookie.setMaxAge(maxAge.toSeconds());
        }
        return ServerCookieEncoder.STRICT.encode(cookie);
    }
}
