package dev.portico.runtime.proxy;

import dev.portico.runtime.headers.HeaderRules;
import dev.portico.runtime.headers.HopByHopHeaders;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

/**
 * Turns a backend's response head into the client's: hop-by-hop headers out, framing
 * the client can read (chunked for HTTP/1.1, close-delimited for HTTP/1.0 when the
 * length is unknown), the route's and site's response rules, and the connection's fate.
 */
final class ClientResponseHeads {

    private ClientResponseHeads() {}

    /**
     * @param head             the head to send the client
     * @param upstreamReusable whether the backend connection may serve another request afterwards
     * @param closeAfter       whether the client connection must close after this response
     */
    record Translated(HttpResponse head, boolean upstreamReusable, boolean closeAfter) {}

    static Translated translate(HttpResponse response, HttpRequest request, HeaderRules rules, boolean tls,
                                boolean closeAfter) {
        int code = response.status().code();
        HttpHeaders headers = response.headers();
        boolean framed = headers.contains(HttpHeaderNames.CONTENT_LENGTH) || HttpUtil.isTransferEncodingChunked(response);
        boolean bodyless = request.method().equals(HttpMethod.HEAD) || code == 204 || code == 304;
        boolean upstreamReusable = HttpUtil.isKeepAlive(response) && (framed || bodyless);
        boolean http11 = request.protocolVersion().equals(HttpVersion.HTTP_1_1);
        HopByHopHeaders.strip(headers);
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, response.status(), headers);
        if (!bodyless && !headers.contains(HttpHeaderNames.CONTENT_LENGTH)) {
            if (http11) {
                HttpUtil.setTransferEncodingChunked(head, true);
            } else {
                closeAfter = true; // an HTTP/1.0 client learns where the body ends by the close
            }
        }
        rules.apply(headers, tls);
        if (closeAfter) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (!http11) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        return new Translated(head, upstreamReusable, closeAfter);
    }
}
