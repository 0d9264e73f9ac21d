package dev.portico.runtime.proxy;

import dev.portico.runtime.headers.HeaderRules;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;

/** Responses the proxy makes itself: errors, {@code respond} routes, redirects and CORS preflight answers. */
final class LocalResponses {

    private LocalResponses() {}

    /** A short plain-text error such as {@code 502 Bad Gateway}. */
    static FullHttpResponse error(ByteBufAllocator alloc, HttpResponseStatus status, HeaderRules rules, boolean tls,
                                  boolean close) {
        return text(alloc, status, status.code() + " " + status.reasonPhrase() + "\n", rules, tls, close);
    }

    static FullHttpResponse text(ByteBufAllocator alloc, HttpResponseStatus status, String body, HeaderRules rules,
                                 boolean tls, boolean close) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ByteBuf content = alloc.buffer(bytes.length).writeBytes(bytes);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN + "; charset=utf-8")
                .set(HttpHeaderNames.CONTENT_LENGTH, bytes.length)
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        finish(response, rules, tls, close);
        return response;
    }

    static FullHttpResponse redirect(ByteBufAllocator alloc, int statusCode, String location, HeaderRules rules,
                                     boolean tls, boolean close) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(statusCode), alloc.buffer(0));
        response.headers()
                .set(HttpHeaderNames.LOCATION, location)
                .set(HttpHeaderNames.CONTENT_LENGTH, 0);
        finish(response, rules, tls, close);
        return response;
    }

    /** The answer to a CORS preflight: 204, no body and so no Content-Length (RFC 9110 8.6). */
    static FullHttpResponse noContent(ByteBufAllocator alloc, HeaderRules rules, boolean tls, boolean close) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NO_CONTENT,
                alloc.buffer(0));
        finish(response, rules, tls, close);
        return response;
    }

    private static void finish(FullHttpResponse response, HeaderRules rules, boolean tls, boolean close) {
        rules.apply(response.headers(), tls);
        if (close) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
    }
}
