package dev.portico.runtime.testing;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** Routes a fully received request to its endpoint. Simple endpoints live here; streaming ones have their own class. */
final class Endpoints {

    private static final byte[] GARBAGE = "this is not http\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private Endpoints() {
    }

    static void dispatch(Exchange ex) {
        try {
            route(ex);
        } catch (IllegalArgumentException | ArithmeticException e) {
            // Endpoints validate their parameters before writing anything, so a clear 400 is still possible:
            // a typo in a test's query string should read as such, not as a dropped connection.
            ex.respond(text(ex, HttpResponseStatus.BAD_REQUEST, "bad parameters for " + ex.path() + ": " + e));
        }
    }

    private static void route(Exchange ex) {
        switch (ex.path()) {
            case "/__status" -> status(ex);
            case "/__slow" -> ex.schedule(ex.longParam("delayMs", 1000), () -> echo(ex));
            case "/__chunks" -> new ChunkedResponder(ex).start();
            case "/__download" -> new DownloadResponder(ex).start();
            case "/__sse" -> new SseResponder(ex).start();
            case "/__headers" -> headers(ex);
            case "/__text" -> new TextResponder(ex).start();
            case "/__close" -> close(ex);
            case "/__reset" -> reset(ex);
            case "/__garbage" -> garbage(ex);
            default -> echo(ex);
        }
    }

    /** The default answer: names the backend and the request line, and describes the body it received. */
    private static void echo(Exchange ex) {
        RecordedRequest received = ex.recorded();
        String text = "ok " + ex.backendName() + " " + ex.request().method().name() + " " + ex.request().uri();
        FullHttpResponse response = text(ex, HttpResponseStatus.OK, text);
        response.headers().set("X-Received-Bytes", received.bodyLength());
        response.headers().set("X-Received-Sha256", received.bodySha256());
        ex.respond(response);
    }

    private static void status(Exchange ex) {
        HttpResponseStatus status = HttpResponseStatus.valueOf(ex.intParam("code", 200));
        ex.respond(text(ex, status, ex.param("body", "")));
    }

    private static void headers(Exchange ex) {
        FullHttpResponse response = text(ex, HttpResponseStatus.OK, "headers");
        for (Map.Entry<String, List<String>> param : ex.params().entrySet()) {
            for (String value : param.getValue()) {
                response.headers().add(param.getKey(), value);
            }
        }
        ex.respond(response);
    }

    /** Drops the connection without an answer; with {@code ifReused=true} only one that answered before. */
    private static void close(Exchange ex) {
        if (ex.boolParam("ifReused", false) && !ex.connectionReused()) {
            echo(ex);
        } else {
            ex.channel().close();
        }
    }

    /** SO_LINGER 0 turns close() into a TCP RST: the origin "crashes" rather than ending politely. */
    private static void reset(Exchange ex) {
        ex.channel().config().setOption(ChannelOption.SO_LINGER, 0);
        ex.channel().close();
    }

    /** Bytes that are not an HTTP response, written below the HTTP encoder so it cannot object. */
    private static void garbage(Exchange ex) {
        ChannelHandlerContext belowCodec = ex.channel().pipeline().context(HttpServerCodec.class);
        belowCodec.writeAndFlush(Unpooled.wrappedBuffer(GARBAGE)).addListener(ChannelFutureListener.CLOSE);
    }

    private static FullHttpResponse text(Exchange ex, HttpResponseStatus status, String body) {
        return ex.newFull(status, HttpHeaderValues.TEXT_PLAIN, body.getBytes(StandardCharsets.UTF_8));
    }
}
