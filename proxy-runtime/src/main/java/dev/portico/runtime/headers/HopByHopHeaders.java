package dev.portico.runtime.headers;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.util.ArrayList;
import java.util.List;

/**
 * Removes the headers that describe one connection rather than the message (RFC 9110
 * 7.6.1): Connection and every header it names, Keep-Alive, TE, Trailer,
 * Transfer-Encoding, Upgrade and Proxy-*, plus the x-http2-* notes Netty adds when it
 * turns an HTTP/2 stream into HTTP/1.1 objects. The one place the proxy does this, for
 * requests and responses alike.
 */
public final class HopByHopHeaders {

    private static final AsciiString KEEP_ALIVE = AsciiString.cached("keep-alive");
    private static final String PROXY_PREFIX = "proxy-";
    /** What Netty's HTTP/2-to-HTTP/1 conversion records about a stream: ours, never the backend's. */
    private static final String HTTP2_EXTENSION_PREFIX = "x-http2-";

    private HopByHopHeaders() {}

    public static void strip(HttpHeaders headers) {
        List<String> named = null;
        for (String value : headers.getAll(HttpHeaderNames.CONNECTION)) {
            for (String token : value.split(",")) {
                String name = token.trim();
                if (!name.isEmpty()) {
                    if (named == null) {
                        named = new ArrayList<>(2);
                    }
                    named.add(name);
                }
            }
        }
        if (named != null) {
            named.forEach(headers::remove);
        }
        headers.remove(HttpHeaderNames.CONNECTION);
        headers.remove(KEEP_ALIVE);
        headers.remove(HttpHeaderNames.TE);
        headers.remove(HttpHeaderNames.TRAILER);
        headers.remove(HttpHeaderNames.TRANSFER_ENCODING);
        headers.remove(HttpHeaderNames.UPGRADE);
        List<CharSequence> prefixed = null;
        for (var it = headers.iteratorCharSequence(); it.hasNext(); ) {
            CharSequence name = it.next().getKey();
            if (startsWith(name, PROXY_PREFIX) || startsWith(name, HTTP2_EXTENSION_PREFIX)) {
                if (prefixed == null) {
                    prefixed = new ArrayList<>(2);
                }
                prefixed.add(name);
            }
        }
        if (prefixed != null) {
            prefixed.forEach(headers::remove);
        }
    }

    private static boolean startsWith(CharSequence name, String prefix) {
        return name.length() > prefix.length() && AsciiString.regionMatches(name, true, 0, prefix, 0, prefix.length());
    }
}
