package dev.portico.runtime.admission;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;

/**
 * The headers the HTTP/1.x decoder fills for a request, validated exactly as Netty's default ones, that also count
 * the Content-Length field lines as the decoder adds them. For an HTTP/1.0 request Netty keeps the first of several
 * Content-Length fields and overwrites the rest, so afterwards nothing shows there were two; {@link RequestFraming}
 * refuses such a request from this count.
 */
public final class DecodedRequestHeaders extends DefaultHttpHeaders {

    private static final DefaultHttpHeadersFactory VALIDATION = DefaultHttpHeadersFactory.headersFactory();

    /** For {@code HttpDecoderConfig.setHeadersFactory}. */
    public static final HttpHeadersFactory FACTORY = new HttpHeadersFactory() {
        @Override
        public HttpHeaders newHeaders() {
            return new DecodedRequestHeaders();
        }

        @Override
        public HttpHeaders newEmptyHeaders() {
            return new DecodedRequestHeaders();
        }
    };

    private int contentLengthFields;

    private DecodedRequestHeaders() {
        super(VALIDATION.getNameValidator(), VALIDATION.getValueValidator());
    }

    @Override
    public HttpHeaders add(CharSequence name, Object value) {
        countContentLength(name);
        return super.add(name, value);
    }

    @Override
    public HttpHeaders add(String name, Object value) {
        countContentLength(name);
        return super.add(name, value);
    }

    private void countContentLength(CharSequence name) {
        if (HttpHeaderNames.CONTENT_LENGTH.contentEqualsIgnoreCase(name)) {
            contentLengthFields++;
        }
    }

    /** Whether more than one Content-Length field line was added. */
    boolean repeatedContentLength() {
        return contentLengthFields > 1;
    }
}
