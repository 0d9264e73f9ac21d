package dev.portico.runtime.testing;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;

import java.nio.charset.StandardCharsets;

/**
 * {@code /__sse?events=N&intervalMs=M&hold=true|false}: N server-sent events {@code id: i / data: event-i} (i from 1),
 * each flushed on its own, the first with the head and then one every M ms. With {@code hold=true} the stream then
 * stays open until the client leaves, which is how tests check a proxy's idle handling of long-lived streams.
 */
final class SseResponder {

    private final Exchange ex;
    private final int events;
    private final long intervalMs;
    private final boolean hold;

    SseResponder(Exchange ex) {
        this.ex = ex;
        this.events = ex.intParam("events", 3);
        this.intervalMs = ex.longParam("intervalMs", 100);
        this.hold = ex.boolParam("hold", false);
    }

    static String event(int id) {
        return "id: " + id + "\ndata: event-" + id + "\n\n";
    }

    void start() {
        HttpResponse head = ex.newChunkedHead(HttpHeaderValues.TEXT_EVENT_STREAM);
        head.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
        ex.writeAndFlush(head);
        if (ex.isHead()) {
            ex.finish();
            return;
        }
        send(1);
    }

    private void send(int id) {
        if (id > events) {
            if (!hold) {
                ex.finish();
            }
            return;
        }
        ex.writePiece(new DefaultHttpContent(
                Unpooled.wrappedBuffer(event(id).getBytes(StandardCharsets.UTF_8))));
        if (id == events) {
            send(id + 1);
        } else {
            ex.schedule(intervalMs, () -> send(id + 1));
        }
    }
}
