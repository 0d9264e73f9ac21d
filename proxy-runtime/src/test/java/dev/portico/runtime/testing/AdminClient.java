package dev.portico.runtime.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portico.crds.bundle.ConfigPush;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Requests to a runtime's admin port: pushes ({@code PUT /config}), {@code GET /config} and metrics. */
public final class AdminClient {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final int port;

    public AdminClient(int port) {
        this.port = port;
    }

    public int port() {
        return port;
    }

    /** Pushes {@code push} with {@code Authorization: Bearer token}. */
    public RawResponse push(ConfigPush push, String token) {
        return put(push.toJson(), "Authorization: Bearer " + token);
    }

    /** {@code PUT /config} with {@code body} and the raw header lines given, on a connection of its own. */
    public RawResponse put(byte[] body, String... headers) {
        try (RawHttpClient client = RawHttpClient.connect(port)) {
            client.send(putHead(body.length, headers));
            client.send(body);
            return client.readResponse();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String putHead(long contentLength, String... headers) {
        StringBuilder head = new StringBuilder("PUT /config HTTP/1.1\r\nHost: admin\r\n")
                .append("Content-Type: application/json\r\nContent-Length: ").append(contentLength).append("\r\n");
        for (String header : headers) {
            head.append(header).append("\r\n");
        }
        return head.append("\r\n").toString();
    }

    public RawResponse get(String path) {
        try (RawHttpClient client = RawHttpClient.connect(port)) {
            client.send("GET " + path + " HTTP/1.1\r\nHost: admin\r\nConnection: close\r\n\r\n");
            return client.readResponse();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code GET /config} as JSON. */
    public JsonNode config() {
        return json(get("/config"));
    }

    public static JsonNode json(RawResponse response) {
        try {
            return JSON.readTree(response.bodyText());
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON: " + response, e);
        }
    }

    /** The sample value of exactly {@code series} (name and labels as written), or 0 when absent. */
    public double metric(String series) {
        String text = get("/metrics").bodyText();
        Matcher m = Pattern.compile("^" + Pattern.quote(series) + " (\\S+)$", Pattern.MULTILINE).matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    /** {@code portico_config_push_total} for {@code outcome}. */
    public double pushes(String outcome) {
        return metric("portico_config_push_total{outcome=\"" + outcome + "\"}");
    }

    /** {@code n} bytes of JSON-ish filler, for bodies of a given size. */
    public static byte[] filler(int n) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(n);
        byte[] line = "x".repeat(1023).concat("\n").getBytes(StandardCharsets.US_ASCII);
        while (out.size() + line.length <= n) {
            out.writeBytes(line);
        }
        out.writeBytes("y".repeat(n - out.size()).getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }
}
