package dev.portico.runtime.log;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class AccessLogTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static AccessLogEntry entry(String path, long durationMicros) {
        return new AccessLogEntry(1_700_000_000_123L, "1.2.3.4", "10.0.0.2", "GET", "example.com", path, "HTTP/1.1",
                200, 12, 3456, durationMicros, "vera-backend:8000", "routes[0]", "10.244.0.7:3000", 2);
    }

    private static JsonNode parse(AccessLogEntry entry) throws Exception {
        String line = AccessLog.toJson(entry);
        assertThat(line).doesNotContain("\n").doesNotContain("\r");
        return JSON.readTree(line);
    }

    @Test
    void writesEveryFieldAsValidJson() throws Exception {
        JsonNode json = parse(entry("/api/x?q=1", 12_345));

        assertThat(json.get("time").asText()).isEqualTo(Instant.ofEpochMilli(1_700_000_000_123L).toString());
        assertThat(json.get("client_ip").asText()).isEqualTo("1.2.3.4");
        assertThat(json.get("peer").asText()).isEqualTo("10.0.0.2");
        assertThat(json.get("method").asText()).isEqualTo("GET");
        assertThat(json.get("host").asText()).isEqualTo("example.com");
        assertThat(json.get("path").asText()).isEqualTo("/api/x?q=1");
        assertThat(json.get("protocol").asText()).isEqualTo("HTTP/1.1");
        assertThat(json.get("status").isInt()).isTrue();
        assertThat(json.get("status").asInt()).isEqualTo(200);
        assertThat(json.get("bytes_in").asLong()).isEqualTo(12);
        assertThat(json.get("bytes_out").asLong()).isEqualTo(3456);
        assertThat(json.get("duration_ms").isNumber()).isTrue();
        assertThat(json.get("duration_ms").decimalValue()).isEqualByComparingTo("12.345");
        assertThat(json.get("upstream").asText()).isEqualTo("vera-backend:8000");
        assertThat(json.get("route").asText()).isEqualTo("routes[0]");
        assertThat(json.get("endpoint").asText()).isEqualTo("10.244.0.7:3000");
        assertThat(json.get("attempt").asInt()).isEqualTo(2);
        List<String> names = List.copyOf(iterable(json));
        assertThat(names).containsExactly("time", "client_ip", "peer", "method", "host", "path", "protocol", "status",
                "bytes_in", "bytes_out", "duration_ms", "upstream", "route", "endpoint", "attempt");
    }

    private static List<String> iterable(JsonNode json) {
        List<String> names = new java.util.ArrayList<>();
        json.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @ParameterizedTest(name = "[{index}] {0} us -> {1} ms")
    @CsvSource(textBlock = """
            0,        0.000
            1,        0.001
            9,        0.009
            10,       0.010
            99,       0.099
            100,      0.100
            999,      0.999
            1000,     1.000
            1001,     1.001
            60000000, 60000.000
            """)
    void durationIsMillisecondsWithMicrosecondPrecision(long micros, String millis) throws Exception {
        assertThat(AccessLog.toJson(entry("/", micros))).contains("\"duration_ms\":" + millis + ",");
        assertThat(parse(entry("/", micros)).get("duration_ms").decimalValue()).isEqualByComparingTo(millis);
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {"/a\"b", "/a\\b", "/a\nb", "/a\rb", "/a\tb", "/a\u0000b", "/a\u0001b", "/a\u001fb",
            "/a\u007fb", "/\"\\\"\\", "/caf\u00e9/\u2603", "/\ud83d\ude00", "/</script>", "/a\u2028b"})
    void escapesQuotesBackslashesAndControlCharacters(String path) throws Exception {
        JsonNode json = parse(entry(path, 1));

        assertThat(json.get("path").asText()).isEqualTo(path);
    }

    @Test
    void escapesEveryStringField() throws Exception {
        AccessLogEntry hostile = new AccessLogEntry(0, "\"", "\\", "G\"ET", "ho\nst", "/", "HTTP/1.1\u0000", 400,
                0, 0, 0, "u\"p", "r\\oute");

        JsonNode json = parse(hostile);

        assertThat(json.get("client_ip").asText()).isEqualTo("\"");
        assertThat(json.get("peer").asText()).isEqualTo("\\");
        assertThat(json.get("method").asText()).isEqualTo("G\"ET");
        assertThat(json.get("host").asText()).isEqualTo("ho\nst");
        assertThat(json.get("protocol").asText()).isEqualTo("HTTP/1.1\u0000");
        assertThat(json.get("upstream").asText()).isEqualTo("u\"p");
        assertThat(json.get("route").asText()).isEqualTo("r\\oute");
    }

    @Test
    void absentValuesAreJsonNulls() throws Exception {
        AccessLogEntry local = new AccessLogEntry(0, "1.2.3.4", "1.2.3.4", "GET", null, "/", "HTTP/1.0", 404, 0, 9, 5,
                null, null);

        JsonNode json = parse(local);

        assertThat(json.get("host").isNull()).isTrue();
        assertThat(json.get("upstream").isNull()).isTrue();
        assertThat(json.get("route").isNull()).isTrue();
        assertThat(json.get("status").asInt()).isEqualTo(404);
        assertThat(json.get("time").asText()).isEqualTo("1970-01-01T00:00:00.000Z");
    }

    @Test
    void everyNullableStringFieldMayBeNull() throws Exception {
        JsonNode json = parse(new AccessLogEntry(0, null, null, null, null, null, null, 499, 0, 0, 0, null, null));

        for (String field : List.of("client_ip", "peer", "method", "host", "path", "protocol", "upstream", "route")) {
            assertThat(json.get(field).isNull()).as(field).isTrue();
        }
        assertThat(json.get("status").asInt()).isEqualTo(499);
    }
}
