package dev.portico.runtime.proxy;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import java.util.List;

/**
 * What an HTTP/1.x request head must be, beyond what Netty's decoder already enforces, before anything of it is
 * forwarded: one reading of its framing, and nothing a backend (or a proxy in front of us) could read differently.
 * A request that fails gets 400 and its connection is closed. The vectors, and why each is refused, are in
 * {@code docs/http1-framing.md}.
 */
final class RequestFraming {

    private RequestFraming() {}

    /** Whether {@code request} (a decoded HTTP/1.x head) may be processed; false means 400 and close. */
    static boolean acceptable(HttpRequest request) {
        HttpHeaders headers = request.headers();
        return transferEncodingIsChunkedOrAbsent(headers) && contentLengthIsOneField(headers)
                && connectionNamesNoMessageField(headers)
                && targetHasNoControls(request.uri()) && hostIsValid(headers.get(HttpHeaderNames.HOST));
    }

    /**
     * Transfer-Encoding is absent, or one field saying exactly {@code chunked} (any case). Netty only looks for
     * chunked as the last coding, and reads any other value as "no body": {@code xchunked}, {@code identity} and a
     * repeated field would then make the body the next request, or mean something else to another hop. Other codings
     * ({@code gzip, chunked}) would lose their meaning, as we forward chunked only. nginx refuses the same (501).
     */
    private static boolean transferEncodingIsChunkedOrAbsent(HttpHeaders headers) {
        List<String> codings = headers.getAll(HttpHeaderNames.TRANSFER_ENCODING);
        return codings.isEmpty()
                || codings.size() == 1 && HttpHeaderValues.CHUNKED.contentEqualsIgnoreCase(codings.get(0).trim());
    }

    /**
     * At most one Content-Length field line. Netty refuses repeated ones on HTTP/1.1 (even equal ones, as nginx
     * does), but on HTTP/1.0 it keeps the first and drops the rest, so a hop that takes the last would disagree.
     */
    private static boolean contentLengthIsOneField(HttpHeaders headers) {
        return !(headers instanceof DecodedRequestHeaders decoded && decoded.repeatedContentLength());
    }

    /**
     * Connection options name hop-by-hop fields, which the proxy removes. Naming Content-Length would forward a body
     * without its length (the backend would read the body as the next request); naming Host would forward a request
     * routed by one name without it. Neither is a hop-by-hop field, so the request is malformed.
     */
    private static boolean connectionNamesNoMessageField(HttpHeaders headers) {
        for (String value : headers.getAll(HttpHeaderNames.CONNECTION)) {
            for (String token : value.split(",")) {
                String name = token.trim();
                if (HttpHeaderNames.CONTENT_LENGTH.contentEqualsIgnoreCase(name)
                        || HttpHeaderNames.HOST.contentEqualsIgnoreCase(name)) {
                    return false;
                }
            }
        }
        return true;
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
     * whitespace, list, userinfo or path, an IPv6 literal only in brackets. Whether it must be present is
     * {@link RequestTarget}'s business.
     */
    static boolean hostIsValid(String host) {
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
