package dev.portico.runtime.testing;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;

/**
 * {@code /__download?bytes=N}: N bytes of {@link DownloadPattern} with a Content-Length. Writes only while the channel
 * is writable and resumes on the writability event, so a 1 GiB download costs the backend a few 64 KiB buffers
 * however slowly the proxy (or its client) reads.
 */
final class DownloadResponder {

    private final Exchange ex;
    private final long total;
    private final long abortAfter;
    private long sent;

    DownloadResponder(Exchange ex) {
        this.ex = ex;
        this.total = ex.longParam("bytes", 0);
        this.abortAfter = ex.longParam("abortAfter", -1);
    }

    void start() {
        HttpResponse head = ex.newHead(HttpResponseStatus.OK);
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_OCTET_STREAM);
        HttpUtil.setContentLength(head, total);
        ex.write(head);
        if (ex.isHead()) {
            ex.finish();
            return;
        }
        pump();
    }

    private void pump() {
        while (sent < total) {
            if (!ex.channel().isActive()) {
                return;
            }
            if (abortAfter >= 0 && sent >= abortAfter) {
                // Out with what is written, then gone: the peer sees fewer bytes than Content-Length promised.
                ex.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            if (!ex.channel().isWritable()) {
                // Push out what is queued; the drain makes the channel writable again and calls us back.
                ex.whenWritable(this::pump);
                ex.flush();
                return;
            }
            long end = abortAfter >= 0 ? Math.min(total, abortAfter) : total;
            int length = (int) Math.min(DownloadPattern.CHUNK, end - sent);
            ex.write(new DefaultHttpContent(DownloadPattern.slice(sent, length)));
            sent += length;
            ex.backend().countDownload(length);
        }
        ex.finish();
    }
}
