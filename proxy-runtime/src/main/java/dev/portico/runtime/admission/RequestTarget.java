package dev.portico.runtime.admission;

import dev.portico.runtime.routing.HostNames;
import dev.portico.runtime.routing.PathNormaliser;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.util.List;
import java.util.Locale;

/**
 * Where a request goes, read from its Host header and request target: the authority as
 * the client wrote it, the normalised path, and the origin-form URI (normalised path and the
 * query as received) that goes upstream. Absolute-form targets must agree with Host, so a
 * request cannot be routed by one name and forwarded with another; the path is normalised
 * here, once, so it cannot be routed as one path and forwarded as another either.
 *
 * @param authority the Host (or absolute-form authority) as sent, {@code ""} for an HTTP/1.0 request without one
 * @param path      the path as {@link PathNormaliser} made it, without the query: what routes match
 * @param uri       the normalised path and the raw query, in origin form
 * @param rawPath   the path as received, for the access log only
 */
public record RequestTarget(String authority, String path, String uri, String rawPath) {

    /**
     * The target of {@code request}, or null when it is malformed or its path refused by
     * {@code paths} (the request gets 400).
     */
    public static RequestTarget parse(HttpRequest request, PathNormaliser paths) {
        List<String> hosts = request.headers().getAll(HttpHeaderNames.HOST);
        if (hosts.size() > 1 || (hosts.isEmpty() && request.protocolVersion().equals(HttpVersion.HTTP_1_1))) {
            return null;
        }
        String host = hosts.isEmpty() ? "" : hosts.get(0);
        String uri = request.uri();
        if (!targetHasNoControls(uri) || !hosts.isEmpty() && !hostIsValid(host)) {
            return null;
        }
        if (uri.startsWith("/")) {
            return withNormalisedPath(host, uri, paths);
        }
        String lower = uri.toLowerCase(Locale.ROOT);
        int schemeEnd = lower.startsWith("http://") ? 7 : lower.startsWith("https://") ? 8 : -1;
        if (schemeEnd < 0) {
            return null;
        }
        int slash = uri.indexOf('/', schemeEnd);
        String authority = slash < 0 ? uri.substring(schemeEnd) : uri.substring(schemeEnd, slash);
        if (!hostIsValid(authority)) {
            return null;
        }
        if (!hosts.isEmpty() && !HostNames.normalise(authority).equals(HostNames.normalise(host))) {
            return null;
        }
        return withNormalisedPath(authority, slash < 0 ? "/" : uri.substring(slash), paths);
    }

    private static RequestTarget withNormalisedPath(String authority, String origin, PathNormaliser paths) {
        int queryStart = origin.indexOf('?');
        String rawPath = queryStart < 0 ? origin : origin.substring(0, queryStart);
        if (!(paths.normalise(rawPath) instanceof PathNormaliser.Normalised normalised)) {
            return null;
        }
        String path = normalised.path();
        String uri = path.equals(rawPath) ? origin : queryStart < 0 ? path : path + origin.substring(queryStart);
        return new RequestTarget(authority, path, uri, rawPath);
    }

    /** The query with its {@code ?}, or {@code ""}. */
    public String query() {
        return uri.length() > path.length() ? uri.substring(path.length()) : "";
    }

    /** The authority without its port. */
    public String hostWithoutPort() {
        return HostNames.port(authority) < 0 ? authority : authority.substring(0, authority.lastIndexOf(':'));
    }

    /**
     * The request target has no control characters (NUL, bare CR and the like stay in it: Netty splits the line at
     * spaces only) and no DEL; they would go upstream on the request line. Bytes above 0x7F pass, as with nginx.
     */
    private static boolean targetHasNoControls(String uri) {
        for (int i = 0; i < uri.length(); i++) {
            char c = uri.charAt(i);
            if (c <= ' ' || c == 0x7F) {
                return false;
            }
        }
        return true;
    }

    /**
     * Host, when present, is {@code uri-host [":" port]} (RFC 9112 section 3.2: anything else is 400): not empty, no
     * whitespace, list, userinfo or path, an IPv6 literal only in brackets. Whether it must be present is decided
     * in {@link #parse}.
     */
    private static boolean hostIsValid(String host) {
        if (host == null) {
            return true;
        }
        if (host.isEmpty()) {
            return false;
        }
        int end = host.length();
        int portStart = -1;
        if (host.charAt(0) == '[') {
            int close = host.indexOf(']');
            if (close < 2) {
                return false;
            }
            for (int i = 1; i < close; i++) {
                char c = host.charAt(i);
                if (!(Character.digit(c, 16) >= 0 || c == ':' || c == '.')) {
                    return false;
                }
            }
            if (close + 1 < end) {
                if (host.charAt(close + 1) != ':') {
                    return false;
                }
                portStart = close + 2;
            }
        } else {
            int colon = host.indexOf(':');
            int nameEnd = colon < 0 ? end : colon;
            if (nameEnd == 0) {
                return false;
            }
            for (int i = 0; i < nameEnd; i++) {
                if (!isRegNameChar(host.charAt(i))) {
                    return false;
                }
            }
            portStart = colon < 0 ? -1 : colon + 1;
        }
        if (portStart >= 0) {
            for (int i = portStart; i < end; i++) {
                char c = host.charAt(i);
                if (c < '0' || c > '9') {
                    return false;
                }
            }
        }
        return true;
    }

    /** RFC 3986 reg-name: unreserved, pct-encoded and sub-delims. */
    private static boolean isRegNameChar(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                || "-._~%!$&'()*+,;=".indexOf(c) >= 0;
    }
}
