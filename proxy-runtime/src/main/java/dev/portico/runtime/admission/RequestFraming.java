package dev.portico.runtime.admission;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import java.util.List;

/**
 * How an HTTP/1.x request head must be framed, beyond what Netty's decoder already enforces, before anything of it
 * is forwarded: one reading of its framing, and nothing a backend (or a proxy in front of us) could read differently.
 * The request target and Host are {@link RequestTarget}'s (they apply to HTTP/2 too).
 * A request that fails gets 400 and its connection is closed. The vectors, and why each is refused, are in
 * {@code docs/http1-framing.md}.
 */
public final class RequestFraming {

    private RequestFraming() {}

    /** Whether {@code request} (a decoded HTTP/1.x head) may be processed; false means 400 and close. */
    public static boolean acceptable(HttpRequest request) {
        HttpHeaders headers = request.headers();
        return transferEncodingIsChunkedOrAbsent(headers) && contentLengthIsOneField(headers)
                && connectionNamesNoMessageField(headers);
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
}
