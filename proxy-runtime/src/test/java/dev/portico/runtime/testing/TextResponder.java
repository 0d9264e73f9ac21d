package dev.portico.runtime.testing;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * {@code /__text?bytes=N&type=T&chunked=false&encoding=E}: a compressible body of exactly N bytes
 * ({@link #body(int)}) with {@code Content-Type: T} (default {@code text/plain; charset=utf-8}). With
 * {@code chunked=true} it is sent as 1 KiB chunks, each flushed on its own; otherwise with Content-Length. With
 * {@code encoding=E} the response claims {@code Content-Encoding: E} (the bytes stay the same), like an origin that
 * compressed on its own.
 */
final class TextResponder {

    private static final int PIECE = 1024;
    private static final byte[] LINE = "Portico streams the quick brown fox over the lazy dog, line after line.\n"
            .getBytes(StandardCharsets.US_ASCII);

    private final Exchange ex;
    private final int bytes;
    private final String type;
    private final boolean chunked;
    private final String encoding;

    TextResponder(Exchange ex) {
        this.ex = ex;
        this.bytes = ex.intParam("bytes", 2048);
        this.type = ex.param("type", "text/plain; charset=utf-8");
        this.chunked = ex.boolParam("chunked", false);
        this.encoding = ex.param("encoding", null);
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes must be >= 0");
        }
    }

    /** The first {@code n} bytes of the repeating text every {@code /__text} response carries. */
    static byte[] body(int n) {
        byte[] out = new byte[n];
        for (int i = 0; i < n; i += LINE.length) {
            System.arraycopy(LINE, 0, out, i, Math.min(LINE.length, n - i));
        }
        return out;
    }

    void start() {
        byte[] body = body(bytes);
        if (!chunked) {
            FullHttpResponse response = ex.newFull(HttpResponseStatus.OK, type, body);
            if (encoding != null) {
                response.headers().set(HttpHeaderNames.CONTENT_ENCODING, encoding);
            }
            ex.respond(response);
            return;
        }
        HttpResponse head = ex.newChunkedHead(type);
        if (encoding != null) {
            head.headers().set(HttpHeaderNames.CONTENT_ENCODING, encoding);
        }
        ex.writeAndFlush(head);
        if (!ex.isHead()) {
            for (int i = 0; i < body.length; i += PIECE) {
                ex.writePiece(new DefaultHttpContent(
                        Unpooled.wrappedBuffer(Arrays.copyOfRange(body, i, Math.min(body.length, i + PIECE)))));
            }
        }
        ex.finish();
    }
}
