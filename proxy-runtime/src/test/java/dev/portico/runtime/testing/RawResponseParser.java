package dev.portico.runtime.testing;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.ProtocolException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads exactly one HTTP/1.x response from a stream and nothing beyond it, so the next pipelined response can be
 * read from the same stream. Deliberately lenient about cosmetics and strict about framing: framing is what a
 * proxy test is usually checking.
 */
final class RawResponseParser {

    private static final int MAX_LINE = 64 * 1024;

    private final InputStream in;

    RawResponseParser(InputStream in) {
        this.in = in;
    }

    RawResponse read(boolean headRequest) throws IOException {
        String statusLine = readLine(true);
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
            throw new ProtocolException("not an HTTP status line: '" + statusLine + "'");
        }
        int status = parseStatus(parts[1], statusLine);
        String reason = parts.length == 3 ? parts[2] : "";
        List<HeaderField> headers = readFields();

        List<HeaderField> trailers = new ArrayList<>();
        byte[] body;
        if (headRequest || (status >= 100 && status < 200) || status == 204 || status == 304) {
            body = new byte[0];
        } else if (isChunked(headers)) {
            body = readChunked(trailers);
        } else if (HeaderField.first(headers, "Content-Length") != null) {
            body = readExactly(parseLength(HeaderField.first(headers, "Content-Length")));
        } else {
            // No framing: the body runs until the server closes the connection (RFC 9112 section 6.3).
            body = in.readAllBytes();
        }
        return new RawResponse(parts[0], status, reason, headers, body, trailers);
    }

    private static int parseStatus(String code, String statusLine) throws ProtocolException {
        try {
            return Integer.parseInt(code);
        } catch (NumberFormatException e) {
            throw new ProtocolException("bad status code in '" + statusLine + "'");
        }
    }

    private static boolean isChunked(List<HeaderField> headers) {
        List<String> codings = HeaderField.all(headers, "Transfer-Encoding");
        if (codings.isEmpty()) {
            return false;
        }
        String last = codings.get(codings.size() - 1);
        String[] tokens = last.split(",");
        return tokens[tokens.length - 1].trim().equalsIgnoreCase("chunked");
    }

    private static long parseLength(String value) throws ProtocolException {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new ProtocolException("bad Content-Length '" + value + "'");
        }
    }

    private List<HeaderField> readFields() throws IOException {
        List<HeaderField> fields = new ArrayList<>();
        for (String line = readLine(false); !line.isEmpty(); line = readLine(false)) {
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new ProtocolException("malformed header line '" + line + "'");
            }
            fields.add(new HeaderField(line.substring(0, colon), line.substring(colon + 1).strip()));
        }
        return fields;
    }

    private byte[] readChunked(List<HeaderField> trailers) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String sizeLine = readLine(false);
            int ext = sizeLine.indexOf(';');
            String hex = (ext >= 0 ? sizeLine.substring(0, ext) : sizeLine).trim();
            long size;
            try {
                size = Long.parseLong(hex, 16);
            } catch (NumberFormatException e) {
                throw new ProtocolException("bad chunk size line '" + sizeLine + "'");
            }
            if (size == 0) {
                trailers.addAll(readFields());
                return body.toByteArray();
            }
            body.writeBytes(readExactly(size));
            String end = readLine(false);
            if (!end.isEmpty()) {
                throw new ProtocolException("chunk data not followed by CRLF but by '" + end + "'");
            }
        }
    }

    private byte[] readExactly(long length) throws IOException {
        if (length > Integer.MAX_VALUE - 8) {
            throw new ProtocolException("body of " + length + " bytes is too big for RawHttpClient");
        }
        byte[] bytes = in.readNBytes((int) length);
        if (bytes.length < length) {
            throw new EOFException("connection closed after " + bytes.length + " of " + length + " body bytes");
        }
        return bytes;
    }

    /** A line without its CRLF (a bare LF is tolerated). Header bytes are ISO-8859-1 by definition. */
    private String readLine(boolean firstLine) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            int b = in.read();
            if (b == -1) {
                throw new EOFException(firstLine && line.size() == 0
                        ? "connection closed before a response"
                        : "connection closed in the middle of a line: '"
                                + line.toString(StandardCharsets.ISO_8859_1) + "'");
            }
            if (b == '\n') {
                byte[] bytes = line.toByteArray();
                int len = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, len, StandardCharsets.ISO_8859_1);
            }
            if (line.size() >= MAX_LINE) {
                throw new ProtocolException("line longer than " + MAX_LINE + " bytes: "
                        + line.toString(StandardCharsets.ISO_8859_1).substring(0, 80));
            }
            line.write(b);
        }
    }
}
