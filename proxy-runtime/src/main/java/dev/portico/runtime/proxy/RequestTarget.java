package dev.portico.runtime.proxy;

import dev.portico.runtime.routing.HostNames;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.util.List;
import java.util.Locale;

/**
 * Where a request goes, read from its Host header and request target: the authority as
 * the client wrote it, the raw path, and the origin-form URI (path and query) that goes
 * upstream. Absolute-form targets must agree with Host, so a request cannot be routed by
 * one name and forwarded with another.
 *
 * @param authority the Host (or absolute-form authority) as sent, {@code ""} for an HTTP/1.0 request without one
 * @param path      the raw path, without the query
 * @param uri       path and query in origin form
 */
record RequestTarget(String authority, String path, String uri) {

    /** The target of {@code request}, or null when it is malformed (the request gets 400). */
    static RequestTarget parse(HttpRequest request) {
        List<String> hosts = request.headers().getAll(HttpHeaderNames.HOST);
        if (hosts.size() > 1 || (hosts.isEmpty() && request.protocolVersion().equals(HttpVersion.HTTP_1_1))) {
            return null;
        }
        String host = hosts.isEmpty() ? "" : hosts.get(0);
        String uri = request.uri();
        if (uri.startsWith("/")) {
            return new RequestTarget(host, pathOf(uri), uri);
        }
        String lower = uri.toLowerCase(Locale.ROOT);
        int schemeEnd = lower.startsWith("http://") ? 7 : lower.startsWith("https://") ? 8 : -1;
        if (schemeEnd < 0) {
            return null;
        }
        int slash = uri.indexOf('/', schemeEnd);
        String authority = slash < 0 ? uri.substring(schemeEnd) : uri.substring(schemeEnd, slash);
        if (!hosts.isEmpty() && !HostNames.normalise(authority).equals(HostNames.normalise(host))) {
            return null;
        }
        String origin = slash < 0 ? "/" : uri.substring(slash);
        return new RequestTarget(authority, pathOf(origin), origin);
    }

    /** The query with its {@code ?}, or {@code ""}. */
    String query() {
        return uri.length() > path.length() ? uri.substring(path.length()) : "";
    }

    /** The authority without its port. */
    String hostWithoutPort() {
        return HostNames.port(authority) < 0 ? authority : authority.substring(0, authority.lastIndexOf(':'));
    }

    private static String pathOf(String uri) {
        int query = uri.indexOf('?');
        return query < 0 ? uri : uri.substring(0, query);
    }
}
