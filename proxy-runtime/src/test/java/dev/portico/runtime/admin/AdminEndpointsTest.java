package dev.portico.runtime.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portico.runtime.testing.RawHttpClient;
import dev.portico.runtime.testing.RawResponse;
import dev.portico.runtime.testing.RunningProxy;
import dev.portico.runtime.testing.TestBackend;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin port of API.md: {@code /healthz}, {@code /readyz}, {@code /metrics}, {@code /config}. */
class AdminEndpointsTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    /** A value that only ever appears in the site spec: no admin answer may repeat it. */
    private static final String SECRET = "s3cr3t-token-do-not-echo";

    @TempDir
    Path dir;
    TestBackend backend;
    RunningProxy proxy;
    HttpClient http;

    @BeforeEach
    void start() {
        backend = TestBackend.start("app");
        proxy = RunningProxy.start(dir, RunningProxy.siteFor(backend, """
                headers:
                  request: {set: {"Authorization": "Bearer %s"}}
                """.formatted(SECRET)));
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(WAIT).build();
    }

    @AfterEach
    void stop() {
        proxy.close();
        backend.close();
    }

    @Test
    void healthAndReadinessAnswer200OnceStarted() throws Exception {
        assertThat(proxy.runtime().ready()).isTrue();
        HttpResponse<String> health = admin("GET", "/healthz");
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).isEqualTo("ok\n");
        HttpResponse<String> ready = admin("GET", "/readyz");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).isEqualTo("ready\n");
    }

    @Test
    void metricsAreInPrometheusTextAndCountRequestsByRouteAndStatus() throws Exception {
        String series = "portico_requests_total{route=\"routes[0]\",status=\"200\"}";
        assertThat(value(scrape(), series)).isNull();

        assertThat(proxy.get("/one").status()).isEqualTo(200);
        // An exchange is counted when it finishes, just after its last byte is flushed: the client
        // can read the response and scrape before the proxy's event loop gets there.
        await().atMost(WAIT).untilAsserted(() -> assertThat(value(scrape(), series)).isEqualTo(1.0));
        HttpResponse<String> metrics = admin("GET", "/metrics");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("text/plain").contains("version=0.0.4"));
        assertThat(metrics.body()).contains("# TYPE portico_requests_total counter");

        assertThat(proxy.get("/two").status()).isEqualTo(200);
        assertThat(proxy.get("/__status?code=503").status()).isEqualTo(503);
        await().atMost(WAIT).untilAsserted(() -> {
            String text = scrape();
            assertThat(value(text, series)).isEqualTo(2.0);
            assertThat(value(text, "portico_requests_total{route=\"routes[0]\",status=\"503\"}")).isEqualTo(1.0);
        });
    }

    @Test
    void latencyIsAHistogramWithBuckets() throws Exception {
        assertThat(proxy.get("/__slow?delayMs=30").status()).isEqualTo(200);

        String countSeries = "portico_request_duration_seconds_count{route=\"routes[0]\"}";
        await().atMost(WAIT).until(() -> value(scrape(), countSeries) != null); // counted just after the flush
        String text = scrape();
        assertThat(text).contains("# TYPE portico_request_duration_seconds histogram");
        String bucket = "portico_request_duration_seconds_bucket{route=\"routes[0]\",le=\"%s\"}";
        // 30 ms of backend delay: not within 25 ms, within 50 ms on an idle machine, within +Inf always.
        assertThat(value(text, bucket.formatted("0.025"))).isEqualTo(0.0);
        assertThat(value(text, bucket.formatted("60.0"))).isEqualTo(1.0);
        assertThat(value(text, bucket.formatted("+Inf"))).isEqualTo(1.0);
        assertThat(value(text, countSeries)).isEqualTo(1.0);
        assertThat(value(text, "portico_request_duration_seconds_sum{route=\"routes[0]\"}")).isGreaterThan(0.03);
    }

    @Test
    void openClientConnectionsAreAGauge() throws Exception {
        String open = "portico_connections_open";
        assertThat(value(scrape(), open)).isEqualTo(0.0);
        try (RawHttpClient first = proxy.connect(); RawHttpClient second = proxy.connect()) {
            first.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
            assertThat(first.readResponse().status()).isEqualTo(200);
            await().atMost(WAIT).until(() -> value(scrape(), open) == 2.0);
        }
        await().atMost(WAIT).until(() -> value(scrape(), open) == 0.0);
    }

    @Test
    void accessLogDropsAreCounted() throws Exception {
        // Nothing reads stdout slowly here, so nothing is dropped; the counter must exist to be alerted on.
        assertThat(value(scrape(), "portico_access_log_dropped_total")).isEqualTo(0.0);
    }

    @Test
    void upstreamPoolMetricsShowConnectsReuseAndIdleConnections() throws Exception {
        try (RawHttpClient client = proxy.connect()) {
            for (int i = 0; i < 3; i++) {
                client.send("GET /" + i + " HTTP/1.1\r\nHost: a\r\n\r\n");
                assertThat(client.readResponse().status()).isEqualTo(200);
            }
        }
        // The last exchange gives its connection back to the pool just after the response's flush.
        await().atMost(WAIT).until(() -> Double.valueOf(1.0).equals(value(scrape(), "portico_upstream_connections_idle")));
        String text = scrape();
        assertThat(value(text, "portico_upstream_connects_total")).isEqualTo(1.0);
        assertThat(value(text, "portico_upstream_reuses_total")).isEqualTo(2.0);
        assertThat(value(text, "portico_upstream_connections_open")).isEqualTo(1.0);
        assertThat(value(text, "portico_upstream_connections_idle")).isEqualTo(1.0);
        assertThat(value(text, "portico_upstream_connect_failures_total")).isEqualTo(0.0);
        assertThat(backend.connectionsAccepted()).isEqualTo(1);
    }

    @Test
    void configShowsNameGenerationRevisionAndHashAndNothingOfTheSpec() throws Exception {
        HttpResponse<String> response = admin("GET", "/config");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        JsonNode config = new ObjectMapper().readTree(response.body());
        assertThat(config.size()).isEqualTo(4);
        assertThat(config.get("name").asText()).isEqualTo("test");
        assertThat(config.get("generation").asLong()).isEqualTo(1);
        assertThat(config.get("revision").isNull()).as("a site file without --revision-file has no revision").isTrue();
        assertThat(config.get("hash").asText()).matches("sha256:[0-9a-f]{64}")
                .isEqualTo(proxy.runtime().currentConfig().hash());
        assertThat(response.body()).doesNotContain("routes", "hosts", "127.0.0.1",
                Integer.toString(backend.port()), "Authorization", SECRET);
    }

    @Test
    void noAdminAnswerRepeatsValuesFromTheSpec() throws Exception {
        proxy.get("/");
        assertThat(backend.takeRequest().header("Authorization")).isEqualTo("Bearer " + SECRET);
        for (String path : new String[] {"/healthz", "/readyz", "/metrics", "/config", "/nope"}) {
            assertThat(admin("GET", path).body()).as(path).doesNotContain(SECRET);
        }
    }

    @Test
    void unknownPathsAre404AndOtherMethods405() throws Exception {
        assertThat(admin("GET", "/nope").statusCode()).isEqualTo(404);
        assertThat(admin("GET", "/config/extra").statusCode()).isEqualTo(404);
        HttpResponse<String> postConfig = admin("POST", "/config");
        assertThat(postConfig.statusCode()).isEqualTo(405);
        assertThat(postConfig.headers().firstValue("Allow")).hasValue("GET, HEAD, PUT");
        assertThat(admin("POST", "/healthz").statusCode()).isEqualTo(405);
        assertThat(admin("DELETE", "/metrics").statusCode()).isEqualTo(405);
        assertThat(admin("HEAD", "/healthz").statusCode()).isEqualTo(200);
    }

    @Test
    void theAdminPortIsNotTheProxyPort() throws Exception {
        // A request for /healthz on the proxy port is an ordinary request, routed to the backend.
        RawResponse proxied = proxy.get("/healthz");
        assertThat(proxied.bodyText()).isEqualTo("ok app GET /healthz");
    }

    private String scrape() throws IOException, InterruptedException {
        HttpResponse<String> response = admin("GET", "/metrics");
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }

    /** The sample value of exactly {@code series} (name and labels as written), or null when absent. */
    private static Double value(String text, String series) {
        Matcher m = Pattern.compile("^" + Pattern.quote(series) + " (\\S+)$", Pattern.MULTILINE).matcher(text);
        return m.find() ? Double.valueOf(m.group(1)) : null;
    }

    private HttpResponse<String> admin(String method, String path) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.adminPort() + path))
                .timeout(WAIT)
                .method(method, method.equals("POST") ? HttpRequest.BodyPublishers.ofString("{}")
                        : HttpRequest.BodyPublishers.noBody())
                .build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }
}
