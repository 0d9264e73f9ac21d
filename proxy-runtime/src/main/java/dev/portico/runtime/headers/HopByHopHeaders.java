package dev.portico.runtime.headers;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.util.ArrayList;
import java.util.List;

/**
 * Removes the headers that describe one connection rather than the message (RFC 9110
 * 7.6.1): Connection and every header it names, Keep-Alive, TE, Trailer,
 * Transfer-Encoding, Upgrade and Proxy-*. The one place the proxy does this, for
 * requests and responses alike.
 */
public final class HopByHopHeaders {

    private static final AsciiString KEEP_ALIVE = AsciiString.cached("keep-alive");
    private static final String PROXY_PREFIX = "proxy-";

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
        List<CharSequence> proxy = null;
        for (var it = headers.iteratorCharSequence(); it.hasNext(); ) {
            CharSequence name = it.next().getKey();
            if (name.length() > PROXY_PREFIX.length()
                    && AsciiString.regionMatches(name, true, 0, PROXY_PREFIX, 0, PROXY_PREFIX.length())) {
                if (proxy == null) {
                    proxy = new ArrayList<>(2);
                }
                proxy.add(name);
            }
        }
        if (proxy != null) {
            proxy.forEach(headers::remove);
        }
    }
}
