package dev.portico.runtime.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portico.runtime.testing.FreePorts;
import dev.portico.runtime.testing.RawHttpClient;
import dev.portico.runtime.testing.RawResponse;
import dev.portico.runtime.testing.RuntimeProcess;
import dev.portico.runtime.testing.SiteFiles;
import dev.portico.runtime.testing.TestBackend;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The access log of the real process: stdout carries one JSON object per request and nothing else. */
class AccessLogProcessTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> FIELDS = List.of("time", "client_ip", "peer", "method", "host", "path",
            "status", "bytes_in", "bytes_out", "duration_ms", "upstream", "route");

    @TempDir
    Path dir;
    TestBackend backend;
    RuntimeProcess runtime;
    int deadPort;

    @BeforeEach
    void startBackend() {
        backend = TestBackend.start("app");
        deadPort = FreePorts.next(); // nothing listens there: connection refused, 502
    }

    @AfterEach
    void stop() {
        if (runtime != null) {
            runtime.close();
        }
        backend.close();
    }

    private void startRuntime(String extraSpec) {
        Path site = SiteFiles.write(dir, """
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: logs}
                spec:
                  hosts: ["app.example.com"]
                %s
                  routes:
                    - match: {path: {value: /down}}
                      backend: {service: 127.0.0.1, port: %d}
                    - match: {path: {value: /}}
                      backend: {service: 127.0.0.1, port: %d}
                """.formatted(extraSpec.indent(2).stripTrailing(), deadPort, backend.port()));
        runtime = RuntimeProcess.start(site, List.of("-Xmx128m"));
    }

    @Test
    void everyRequestIsOneJsonLineWithEveryField() throws Exception {
        startRuntime("");
        Instant before = Instant.now().minusSeconds(1);

        assertThat(request("GET", "app.example.com", "/ok?q=1", "", "X-Forwarded-For: 203.0.113.9").status())
                .isEqualTo(200);
        assertThat(request("GET", "nobody.example.com", "/missing", "").status()).isEqualTo(404);
        assertThat(request("GET", "app.example.com", "/down/x", "").status()).isEqualTo(502);
        assertThat(request("POST", "app.example.com", "/upload", "x".repeat(1000)).status()).isEqualTo(200);

        List<JsonNode> lines = awaitLines(4);
        for (JsonNode line : lines) {
            assertThat(line.fieldNames()).toIterable().as(line.toString()).containsAll(FIELDS);
            assertThat(Instant.parse(line.get("time").asText())).isBetween(before, Instant.now());
            assertThat(line.get("peer").asText()).isEqualTo("127.0.0.1");
            // An untrusted peer's X-Forwarded-For is not believed.
            assertThat(line.get("client_ip").asText()).isEqualTo("127.0.0.1");
            assertThat(line.get("status").isInt()).isTrue();
            assertThat(line.get("bytes_in").isIntegralNumber()).isTrue();
            assertThat(line.get("bytes_out").isIntegralNumber()).isTrue();
            assertThat(line.get("duration_ms").isNumber()).isTrue();
            assertThat(line.get("duration_ms").asDouble()).isBetween(0.0, 10_000.0);
        }

        JsonNode ok = byPath(lines, "/ok");
        assertThat(ok.get("method").asText()).isEqualTo("GET");
        assertThat(ok.get("host").asText()).isEqualTo("app.example.com");
        assertThat(ok.get("status").asInt()).isEqualTo(200);
        assertThat(ok.get("bytes_in").asLong()).isZero();
        assertThat(ok.get("bytes_out").asLong()).isEqualTo("ok app GET /ok?q=1".length());
        assertThat(ok.get("upstream").asText()).isEqualTo("127.0.0.1:" + backend.port());
        assertThat(ok.get("route").asText()).isEqualTo("routes[1]");

        JsonNode missing = byPath(lines, "/missing");
        assertThat(missing.get("status").asInt()).isEqualTo(404);
        assertThat(missing.get("host").asText()).isEqualTo("nobody.example.com");
        assertThat(missing.get("upstream").isNull()).isTrue();
        assertThat(missing.get("bytes_out").asLong()).isPositive();

        JsonNode down = byPath(lines, "/down/x");
        assertThat(down.get("status").asInt()).isEqualTo(502);
        assertThat(down.get("upstream").asText()).isEqualTo("127.0.0.1:" + deadPort);
        assertThat(down.get("route").asText()).isEqualTo("routes[0]");

        JsonNode upload = byPath(lines, "/upload");
        assertThat(upload.get("method").asText()).isEqualTo("POST");
        assertThat(upload.get("bytes_in").asLong()).isEqualTo(1000);
        assertThat(upload.get("status").asInt()).isEqualTo(200);

        // Operational logs stay on stderr.
        assertThat(runtime.stderrText()).contains("serving site 'logs'");
    }

    @Test
    void aClientBehindATrustedProxyIsLoggedByItsResolvedAddress() throws Exception {
        startRuntime("trustedProxies: {cidrs: [\"127.0.0.0/8\"]}");

        assertThat(request("GET", "app.example.com", "/via-lb", "",
                "X-Forwarded-For: 198.51.100.23, 127.0.0.5").status()).isEqualTo(200);
        assertThat(backend.takeRequest().header("X-Real-IP")).isEqualTo("198.51.100.23");

        JsonNode line = awaitLines(1).get(0);
        assertThat(line.get("path").asText()).isEqualTo("/via-lb");
        assertThat(line.get("client_ip").asText()).isEqualTo("198.51.100.23");
        assertThat(line.get("peer").asText()).isEqualTo("127.0.0.1");
    }

    /** Waits until stdout holds exactly {@code n} lines, each a JSON object, and returns them parsed. */
    private List<JsonNode> awaitLines(int n) {
        await().atMost(WAIT).until(() -> runtime.stdoutLines().size() >= n);
        List<String> raw = runtime.stdoutLines();
        assertThat(raw).as("one line per request, nothing else on stdout").hasSize(n);
        return raw.stream().map(line -> {
            try {
                JsonNode node = JSON.readTree(line);
                assertThat(node.isObject()).as(line).isTrue();
                return node;
            } catch (IOException e) {
                throw new UncheckedIOException("not JSON: " + line, e);
            }
        }).toList();
    }

    private static JsonNode byPath(List<JsonNode> lines, String path) {
        return lines.stream().filter(l -> l.get("path").asText().equals(path)).findFirst()
                .orElseThrow(() -> new AssertionError("no line for " + path + " in " + lines));
    }

    private RawResponse request(String method, String host, String target, String body, String... headers)
            throws IOException {
        try (RawHttpClient client = RawHttpClient.connect(runtime.httpPort())) {
            StringBuilder raw = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\nHost: ")
                    .append(host).append("\r\n");
            for (String header : headers) {
                raw.append(header).append("\r\n");
            }
            if (!body.isEmpty()) {
                raw.append("Content-Length: ").append(body.length()).append("\r\n");
            }
            raw.append("Connection: close\r\n\r\n").append(body);
            client.send(raw.toString());
            return client.readResponse();
        }
    }
}
