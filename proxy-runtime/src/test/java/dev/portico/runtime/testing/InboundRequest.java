package dev.portico.runtime.testing;

import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** A request whose head has arrived and whose body is still streaming in. */
final class InboundRequest {

    final HttpRequest head;
    private final int connectionId;
    private final BodyDigest body = new BodyDigest();
    private List<HeaderField> trailers = List.of();

    InboundRequest(HttpRequest head, int connectionId) {
        this.head = head;
        this.connectionId = connectionId;
    }

    BodyDigest body() {
        return body;
    }

    /** The trailer section that ended the body. */
    void trailers(HttpHeaders fields) {
        trailers = fields(fields);
    }

    boolean isWebSocketUpgrade() {
        return head.headers().containsValue("Upgrade", HttpHeaderValues.WEBSOCKET, true);
    }

    RecordedRequest toRecord(boolean complete) {
        return new RecordedRequest(
                head.method().name(),
                head.uri(),
                head.protocolVersion().text(),
                wireHeaders(),
                body.length(),
                body.sha256Hex(),
                body.prefix(),
                HttpUtil.isTransferEncodingChunked(head),
                connectionId,
                complete,
                trailers);
    }

    /** Netty's header map iterates in insertion order, duplicates included and names as spelled on the wire. */
    private List<HeaderField> wireHeaders() {
        return fields(head.headers());
    }

    private static List<HeaderField> fields(HttpHeaders headers) {
        List<HeaderField> fields = new ArrayList<>(headers.size());
        for (Iterator<Map.Entry<String, String>> it = headers.iteratorAsString(); it.hasNext(); ) {
            Map.Entry<String, String> e = it.next();
            fields.add(new HeaderField(e.getKey(), e.getValue()));
        }
        return fields;
    }
}
