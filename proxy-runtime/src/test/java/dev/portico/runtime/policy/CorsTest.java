package dev.portico.runtime.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.runtime.testing.RawHttpClient;
import dev.portico.runtime.testing.RawResponse;
import dev.portico.runtime.testing.RunningProxy;
import dev.portico.runtime.testing.TestBackend;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cors} end to end over HTTP/1.1: preflights answered by the proxy (the backend never sees them), CORS
 * headers on proxied and local responses, the backend's own CORS headers replaced, and nothing for requests
 * without Origin. {@code CorsHttp2Test} does the same over HTTP/2.
 */
@Timeout(60)
class CorsTest {

    private static final String APP = "Origin: https://app.example.com";
    private static final String EVIL = "Origin: https://evil.example.net";

    @TempDir
    Path dir;
    TestBackend backend;
    RunningProxy proxy;

    @BeforeEach
    void start() {
        backend = TestBackend.start("app");
        proxy = RunningProxy.start(dir, site(""));
    }

    @AfterEach
    void stop() {
        proxy.close();
        backend.close();
    }

    private String site(String extra) {
        return """
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: test, generation: 1}
                spec:
                  hosts: [app.example.com]
                  headers:
                    response: {set: {"X-Site": "vera"}}
                  cors:
                    allowOrigins: ["https://app.example.com", "https://*.partner.example.com"]
                    allowMethods: [PUT, DELETE]
                    allowHeaders: [Content-Type, X-Request-Id]
                    exposeHeaders: [X-Total]
                    allowCredentials: true
                    maxAge: 600
                %s
                  routes:
                    - match: {path: {value: /own}}
                      backend: {service: 127.0.0.1, port: %d}
                      cors: {allowOrigins: ["https://other.example.com"]}
                    - match: {path: {value: /off}}
                      backend: {service: 127.0.0.1, port: %d}
                      rewrite: {replacePrefixMatch: /__headers}
                      cors: {enabled: false}
                    - match: {path: {type: Exact, value: /hello}}
                      respond: {status: 200, body: "hi"}
                    - match: {path: {value: /}}
                      backend: {service: 127.0.0.1, port: %d}
                      maxRequestBodySize: 10
                """.formatted(extra.indent(2).stripTrailing(), backend.port(), backend.port(), backend.port());
    }

    private RawResponse request(String method, String target, String... headers) {
        return proxy.request(method, "app.example.com", target, headers);
    }

    private RawResponse preflight(String origin, String method, String... more) {
        String[] headers = new String[more.length + 2];
        headers[0] = "Origin: " + origin;
        headers[1] = "Access-Control-Request-Method: " + method;
        System.arraycopy(more, 0, headers, 2, more.length);
        return request("OPTIONS", "/api/items", headers);
    }

    @Test
    void anAllowedPreflightIsAnsweredByTheProxyWith204AndTheAllowHeaders() {
        RawResponse response = preflight("https://a.partner.example.com", "PUT",
                "Access-Control-Request-Headers: content-type,x-request-id");

        assertThat(response.status()).isEqualTo(204);
        assertThat(response.header("Access-Control-Allow-Origin")).isEqualTo("https://a.partner.example.com");
        assertThat(response.header("Access-Control-Allow-Credentials")).isEqualTo("true");
        assertThat(response.header("Access-Control-Allow-Methods")).isEqualTo("PUT, DELETE");
        assertThat(response.header("Access-Control-Allow-Headers")).isEqualTo("Content-Type, X-Request-Id");
        assertThat(response.header("Access-Control-Max-Age")).isEqualTo("600");
        assertThat(response.header("Vary")).isEqualTo("Origin");
        assertThat(response.header("X-Site")).isEqualTo("vera");
        assertThat(response.hasHeader("Content-Length")).isFalse();
        assertThat(response.body()).isEmpty();
        assertThat(backend.pollRequest(Duration.ofMillis(300))).isEmpty();
    }

    @Test
    void aPreflightNotAllowedGets204WithoutAnyAllowHeader() {
        for (RawResponse refused : new RawResponse[] {
                preflight("https://evil.example.net", "PUT"),
                preflight("https://app.example.com", "PATCH"),
                preflight("https://app.example.com", "PUT", "Access-Control-Request-Headers: authorization")}) {
            assertThat(refused.status()).isEqualTo(204);
            assertThat(refused.headers()).noneMatch(field -> field.name().toLowerCase().startsWith("access-control-"));
            assertThat(refused.header("Vary")).isEqualTo("Origin");
        }
        assertThat(backend.pollRequest(Duration.ofMillis(300))).isEmpty();
    }

    @Test
    void aPreflightKeepsTheConnectionForTheRequestItAllowed() throws Exception {
        try (RawHttpClient client = proxy.connect()) {
            client.send("OPTIONS /api HTTP/1.1\r\nHost: app.example.com\r\n" + APP + "\r\n"
                    + "Access-Control-Request-Method: DELETE\r\n\r\n"
                    + "DELETE /api HTTP/1.1\r\nHost: app.example.com\r\n" + APP + "\r\nConnection: close\r\n\r\n");

            assertThat(client.readResponse().status()).isEqualTo(204);
            RawResponse actual = client.readResponse();
            assertThat(actual.status()).isEqualTo(200);
            assertThat(actual.bodyText()).isEqualTo("ok app DELETE /api");
            assertThat(actual.header("Access-Control-Allow-Origin")).isEqualTo("https://app.example.com");
        }
        assertThat(backend.takeRequest().method()).isEqualTo("DELETE");
    }

    @Test
    void anActualResponseToAnAllowedOriginCarriesTheCorsHeadersAndVaryMergedWithTheBackends() {
        RawResponse response = request("GET", "/__headers?Vary=Accept-Encoding&X-Total=3", APP);

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.header("Access-Control-Allow-Origin")).isEqualTo("https://app.example.com");
        assertThat(response.header("Access-Control-Allow-Credentials")).isEqualTo("true");
        assertThat(response.header("Access-Control-Expose-Headers")).isEqualTo("X-Total");
        assertThat(response.headers("Vary")).containsExactly("Accept-Encoding, Origin");
        assertThat(response.hasHeader("Access-Control-Allow-Methods")).isFalse();
        // The backend sees the request as sent, Origin included.
        assertThat(backend.takeRequest().header("Origin")).isEqualTo("https://app.example.com");
    }

    @Test
    void theBackendsCorsHeadersAreReplacedByThePolicy() {
        String backendCors = "/__headers?Access-Control-Allow-Origin=*&Access-Control-Expose-Headers=X-Secret"
                + "&Access-Control-Allow-Credentials=true&Vary=Origin";

        RawResponse allowed = request("GET", backendCors, APP);
        assertThat(allowed.headers("Access-Control-Allow-Origin")).containsExactly("https://app.example.com");
        assertThat(allowed.headers("Access-Control-Expose-Headers")).containsExactly("X-Total");
        assertThat(allowed.headers("Vary")).containsExactly("Origin");

        RawResponse refused = request("GET", backendCors, EVIL);
        assertThat(refused.status()).isEqualTo(200);
        assertThat(refused.headers()).noneMatch(field -> field.name().toLowerCase().startsWith("access-control-"));
        assertThat(refused.headers("Vary")).containsExactly("Origin");
    }

    @Test
    void aRequestWithoutOriginIsLeftAloneBackendCorsHeadersIncluded() {
        RawResponse response = request("GET", "/__headers?Access-Control-Allow-Origin=*");

        assertThat(response.header("Access-Control-Allow-Origin")).isEqualTo("*");
        assertThat(response.hasHeader("Vary")).isFalse();
        RawResponse local = request("GET", "/hello");
        assertThat(local.headers()).noneMatch(field -> field.name().toLowerCase().startsWith("access-control-"));
        // An OPTIONS without Origin is no preflight: the backend answers it.
        assertThat(request("OPTIONS", "/api", "Access-Control-Request-Method: PUT").bodyText())
                .isEqualTo("ok app OPTIONS /api");
    }

    @Test
    void localResponsesCarryCorsSoTheBrowserCanReadThem() {
        proxy.reconfigure(site("rateLimit: {requestsPerSecond: 1, burst: 1}"));

        assertThat(request("GET", "/hello", APP).header("Access-Control-Allow-Origin"))
                .isEqualTo("https://app.example.com");
        RawResponse throttled = request("GET", "/hello", APP);
        assertThat(throttled.status()).isEqualTo(429);
        assertThat(throttled.header("Retry-After")).isNotNull();
        assertThat(throttled.header("Access-Control-Allow-Origin")).isEqualTo("https://app.example.com");
        assertThat(throttled.header("Access-Control-Allow-Credentials")).isEqualTo("true");
        assertThat(throttled.header("Vary")).isEqualTo("Origin");

        proxy.reconfigure(site("accessControl: {deny: [\"127.0.0.0/8\"]}"));
        RawResponse denied = request("GET", "/", APP);
        assertThat(denied.status()).isEqualTo(403);
        assertThat(denied.header("Access-Control-Allow-Origin")).isEqualTo("https://app.example.com");

        proxy.reconfigure(site(""));
        RawResponse tooLarge = request("POST", "/upload", APP, "Content-Length: 11");
        assertThat(tooLarge.status()).isEqualTo(413);
        assertThat(tooLarge.header("Access-Control-Allow-Origin")).isEqualTo("https://app.example.com");
        RawResponse unrouted = proxy.request("GET", "other.example.com", "/", APP);
        assertThat(unrouted.status()).isEqualTo(404);
        assertThat(unrouted.header("Access-Control-Allow-Origin")).isEqualTo("https://app.example.com");
        RawResponse malformed = proxy.request("GET", "app.example.com", "/%zz", APP);
        assertThat(malformed.status()).isEqualTo(400);
        assertThat(malformed.hasHeader("Access-Control-Allow-Origin")).isFalse();
    }

    @Test
    void aRoutesOwnCorsReplacesTheSitesAndEnabledFalseLeavesCorsToTheBackend() {
        RawResponse preflight = request("OPTIONS", "/off", APP, "Access-Control-Request-Method: PUT");
        assertThat(preflight.status()).isEqualTo(200);
        assertThat(backend.takeRequest().method()).isEqualTo("OPTIONS");
        RawResponse passed = request("GET", "/off?Access-Control-Allow-Origin=*", APP);
        assertThat(passed.header("Access-Control-Allow-Origin")).isEqualTo("*");
        assertThat(passed.hasHeader("Vary")).isFalse();

        assertThat(request("GET", "/own", APP).hasHeader("Access-Control-Allow-Origin")).isFalse();
        assertThat(request("GET", "/own", "Origin: https://other.example.com").header("Access-Control-Allow-Origin"))
                .isEqualTo("https://other.example.com");
    }
}
