package dev.portico.runtime.policy;

import io.netty.handler.codec.compression.StandardCompressionOptions;
import io.netty.handler.codec.http.HttpContentCompressor;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import java.util.Locale;

/**
 * {@code compression}: gzip or deflate by Accept-Encoding, streaming chunk by chunk
 * (Netty's compressor), for compressible types at or above {@code minSize}. Never for
 * {@code text/event-stream} (compressing SSE breaks its streaming), never for a response
 * that is already encoded. Responses of a compressible type say
 * {@code Vary: Accept-Encoding} either way, so caches keep the variants apart.
 */
public final class SiteCompressor extends HttpContentCompressor {

    private final long minSize;

    public SiteCompressor(long minSize) {
        super(0, StandardCompressionOptions.gzip(), StandardCompressionOptions.deflate());
        this.minSize = minSize;
    }

    @Override
    protected Result beginEncode(HttpResponse response, String acceptEncoding) throws Exception {
        HttpHeaders headers = response.headers();
        if (headers.contains(HttpHeaderNames.CONTENT_ENCODING) || !compressible(headers.get(HttpHeaderNames.CONTENT_TYPE))) {
            return null;
        }
        headers.add(HttpHeaderNames.VARY, HttpHeaderNames.ACCEPT_ENCODING);
        long length = HttpUtil.getContentLength(response, -1L);
        if (length >= 0 && length < minSize) {
            return null;
        }
        return super.beginEncode(response, acceptEncoding);
    }

    static boolean compressible(String contentType) {
        if (contentType == null) {
            return false;
        }
        String type = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        if (type.equals(HttpHeaderValues.TEXT_EVENT_STREAM.toString())) {
            return false;
        }
        return type.startsWith("text/")
                || type.endsWith("+json") || type.endsWith("+xml")
                || type.equals("application/json") || type.equals("application/javascript")
                || type.equals("application/xml") || type.equals("application/wasm")
                || type.equals("image/svg+xml") || type.equals("application/manifest+json");
    }
}
