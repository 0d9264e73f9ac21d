package dev.portico.runtime.policy;

import io.netty.handler.codec.compression.Brotli;
import io.netty.handler.codec.compression.BrotliMode;
import io.netty.handler.codec.compression.CompressionOptions;
import io.netty.handler.codec.compression.StandardCompressionOptions;
import io.netty.handler.codec.compression.Zstd;
import io.netty.handler.codec.http.HttpContentCompressor;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code compression}: brotli, zstd, gzip or deflate by Accept-Encoding, streaming chunk by
 * chunk (Netty's compressor), for compressible types at or above {@code minSize}. Never for
 * {@code text/event-stream} (compressing SSE breaks its streaming), never for a response
 * that is already encoded. Responses of a compressible type say
 * {@code Vary: Accept-Encoding} either way, so caches keep the variants apart.
 *
 * <p>Brotli (brotli4j) and zstd (zstd-jni) need their native libraries; where those cannot
 * load, the site simply offers gzip and deflate.
 */
public final class SiteCompressor extends HttpContentCompressor {

    /** Offered codings, most preferred first: the order breaks ties between equal q-values. */
    static final List<String> ENCODINGS = available();

    private final long minSize;

    public SiteCompressor(long minSize) {
        super(0, options());
        this.minSize = minSize;
    }

    private static List<String> available() {
        List<String> encodings = new ArrayList<>();
        if (Brotli.isAvailable()) {
            encodings.add("br");
        }
        if (Zstd.isAvailable()) {
            encodings.add("zstd");
        }
        encodings.add("gzip");
        encodings.add("deflate");
        return List.copyOf(encodings);
    }

    private static CompressionOptions[] options() {
        List<CompressionOptions> options = new ArrayList<>();
        if (ENCODINGS.contains("br")) {
            // Quality 4 (Netty's default) with a 256 KiB window instead of 4 MiB: every
            // response being compressed holds an encoder, so its memory is per request.
            options.add(StandardCompressionOptions.brotli(4, 18, BrotliMode.TEXT));
        }
        if (ENCODINGS.contains("zstd")) {
            options.add(StandardCompressionOptions.zstd());
        }
        options.add(StandardCompressionOptions.gzip());
        options.add(StandardCompressionOptions.deflate());
        return options.toArray(CompressionOptions[]::new);
    }

    @Override
    protected Result beginEncode(HttpResponse response, String acceptEncoding) throws Exception {
        HttpHeaders headers = response.headers();
        if (headers.contains(HttpHeaderNames.CONTENT_ENCODING) || !compressible(headers.get(HttpHeaderNames.CONTENT_TYPE))) {
            return null;
        }
        if (!headers.containsValue(HttpHeaderNames.VARY, HttpHeaderNames.ACCEPT_ENCODING, true)) {
            headers.add(HttpHeaderNames.VARY, HttpHeaderNames.ACCEPT_ENCODING);
        }
        long length = HttpUtil.getContentLength(response, -1L);
        if (length >= 0 && length < minSize) {
            return null;
        }
        return super.beginEncode(response, acceptEncoding);
    }

    /**
     * The offered coding with the highest q-value, ties going to the earlier one in
     * {@link #ENCODINGS}. Netty's own choice reads "br;q=0" as a yes and never weighs br
     * against gzip, so the choice is made here by RFC 9110 section 12.5.3.
     */
    @Override
    protected String determineEncoding(String acceptEncoding) {
        return choose(acceptEncoding, ENCODINGS);
    }

    static String choose(String acceptEncoding, List<String> offered) {
        Map<String, Float> weights = new HashMap<>();
        float any = -1;
        for (String element : acceptEncoding.split(",")) {
            String[] parts = element.split(";");
            String coding = parts[0].trim().toLowerCase(Locale.ROOT);
            if (coding.isEmpty()) {
                continue;
            }
            float q = 1;
            for (int i = 1; i < parts.length; i++) {
                String parameter = parts[i].trim();
                if (parameter.length() > 2 && (parameter.charAt(0) == 'q' || parameter.charAt(0) == 'Q')
                        && parameter.charAt(1) == '=') {
                    try {
                        q = Float.parseFloat(parameter.substring(2).trim());
                    } catch (NumberFormatException e) {
                        q = 0;
                    }
                }
            }
            if (coding.equals("x-gzip")) {
                coding = "gzip";
            }
            if (coding.equals("*")) {
                any = Math.max(any, q);
            } else {
                weights.merge(coding, q, Math::max);
            }
        }
        String best = null;
        float bestWeight = 0;
        for (String coding : offered) {
            float weight = weights.getOrDefault(coding, Math.max(any, 0));
            if (weight > bestWeight) {
                best = coding;
                bestWeight = weight;
            }
        }
        return best;
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
