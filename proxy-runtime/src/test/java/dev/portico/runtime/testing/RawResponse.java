package dev.portico.runtime.testing;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One HTTP/1.x response exactly as {@link RawHttpClient} read it off the wire.
 *
 * @param protocolVersion e.g. {@code HTTP/1.1}
 * @param status          status code
 * @param reason          reason phrase, possibly empty
 * @param headers         header lines in wire order, duplicates preserved
 * @param body            the body after de-chunking (empty for HEAD, 1xx, 204 and 304)
 * @param trailers        trailer fields of a chunked body, in wire order (usually empty)
 */
public record RawResponse(
        String protocolVersion,
        int status,
        String reason,
        List<HeaderField> headers,
        byte[] body,
        List<HeaderField> trailers) {

    public RawResponse {
        headers = List.copyOf(headers);
        trailers = List.copyOf(trailers);
    }

    /** First value of the header (case-insensitive) or {@code null}. */
    public String header(String name) {
        return HeaderField.first(headers, name);
    }

    /** All values of the header (case-insensitive), in wire order. */
    public List<String> headers(String name) {
        return HeaderField.all(headers, name);
    }

    public boolean hasHeader(String name) {
        return HeaderField.find(headers, name).isPresent();
    }

    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }

    /** A 1xx response other than 101: more responses follow for the same request. */
    public boolean isInterim() {
        return status >= 100 && status < 200 && status != 101;
    }

    @Override
    public String toString() {
        return "RawResponse[" + protocolVersion + " " + status + " " + reason + ", headers=" + headers
                + ", body=" + body.length + " bytes" + (trailers.isEmpty() ? "" : ", trailers=" + trailers) + "]";
    }
}
