package dev.portico.runtime.testing;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.HttpHeaderValues;

import java.util.Arrays;

/**
 * {@code /__chunks?count=N&delayMs=M&size=S[&abortAfter=K]}: a chunked body of N chunks of S bytes (with
 * {@code abortAfter}, the connection closes after K chunks, without the terminating one). The first chunk goes out with the
 * head, each later one M ms after the previous, so tests can tell a streaming proxy from a buffering one. Chunk k
 * (0-based) is S copies of the letter {@code 'a' + k % 26}.
 */
final class ChunkedResponder {

    private final Exchange ex;
    private final int count;
    private final long delayMs;
    private final int size;
    private final int abortAfter;

    ChunkedResponder(Exchange ex) {
        this.ex = ex;
        this.count = ex.intParam("count", 3);
        this.delayMs = ex.longParam("delayMs", 0);
        this.size = ex.intParam("size", 16);
        this.abortAfter = ex.intParam("abortAfter", -1);
        if (size < 1) {
            // A zero-length chunk is the end-of-body marker in chunked encoding; it cannot be sent as data.
            throw new IllegalArgumentException("size must be >= 1");
        }
    }

    void start() {
        ex.writeAndFlush(ex.newChunkedHead(HttpHeaderValues.TEXT_PLAIN));
        if (ex.isHead()) {
            ex.finish();
            return;
        }
        sendFrom(0);
    }

    private void sendFrom(int index) {
        int i = index;
        while (i < count) {
            if (i == abortAfter) {
                // No terminating chunk: the peer must not mistake this for a complete body.
                ex.channel().close();
                return;
            }
            ex.writePiece(new DefaultHttpContent(Unpooled.wrappedBuffer(chunk(i))));
            i++;
            if (delayMs > 0 && i < count) {
                int next = i;
                ex.schedule(delayMs, () -> sendFrom(next));
                return;
            }
        }
        ex.finish();
    }

    private byte[] chunk(int index) {
        byte[] bytes = new byte[size];
        Arrays.fill(bytes, (byte) ('a' + index % 26));
        return bytes;
    }
}
