package dev.portico.runtime.testing;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * What a {@link TestBackend} saw for one request. The body is summarised (length, SHA-256, first 64 KiB) rather than
 * kept, so a test can push gigabytes through the proxy without the backend holding them.
 *
 * @param method          request method as received
 * @param uri             request target exactly as on the request line (not decoded, not normalised)
 * @param protocolVersion e.g. {@code HTTP/1.1}
 * @param headers         header lines in wire order, duplicates preserved
 * @param bodyLength      number of body bytes received (after de-chunking)
 * @param bodySha256      lower-case hex SHA-256 of those bytes
 * @param bodyPrefix      the first {@link BodyDigest#PREFIX_LIMIT} bytes of the body
 * @param chunked         whether the request used {@code Transfer-Encoding: chunked}
 * @param connectionId    1-based sequence number of the TCP connection the request came on
 * @param complete        false when the connection went away before the body ended (e.g. an aborted upload)
 * @param trailers        trailer fields of a chunked body, in wire order (usually empty)
 */
public record RecordedRequest(
        String method,
        String uri,
        String protocolVersion,
        List<HeaderField> headers,
        long bodyLength,
        String bodySha256,
        byte[] bodyPrefix,
        boolean chunked,
        int connectionId,
        boolean complete,
        List<HeaderField> trailers) {

    public RecordedRequest {
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

    /** The body prefix as UTF-8; the whole body whenever it is shorter than 64 KiB. */
    public String bodyPrefixText() {
        return new String(bodyPrefix, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "RecordedRequest[" + method + " " + uri + " " + protocolVersion + ", conn=" + connectionId
                + ", headers=" + headers + ", bodyLength=" + bodyLength + ", chunked=" + chunked
                + ", complete=" + complete + (trailers.isEmpty() ? "" : ", trailers=" + trailers) + "]";
    }
}
