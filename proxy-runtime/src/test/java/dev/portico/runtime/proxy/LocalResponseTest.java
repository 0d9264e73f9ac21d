package dev.portico.runtime.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.runtime.testing.RawHttpClient;
import dev.portico.runtime.testing.RawResponse;
import dev.portico.runtime.testing.RunningProxy;
import dev.portico.runtime.testing.TestBackend;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Responses the proxy makes without a backend ({@code respond}, {@code redirect}, 404s), and the response headers
 * the site and the strict security preset put on every response.
 */
@Timeout(60)
class LocalResponseTest {

    @TempDir
    Path dir;
    TestBackend backend;
    RunningProxy proxy;

    @BeforeEach
    void start() {
        backend = TestBackend.start("app");
        proxy = RunningProxy.start(dir, """
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: local, generation: 1}
                spec:
                  hosts: ["app.example.com", "*.example.org"]
                  headers:
                    securityPreset: strict
                    response: {set: {X-Site: "yes"}}
                  routes:
                    - match: {path: {type: Exact, value: /maintenance}}
                      respond: {status: 503, body: "down for maintenance"}
                      headers: {response: {set: {Retry-After: "120"}}}
                    - match: {path: {type: Exact, value: /old}}
                      redirect: {scheme: https, hostname: new.example.com, port: 8443, path: /new, statusCode: 301}
                    - match: {path: {value: /moved}}
                      redirect: {path: /elsewhere}
                    - match: {path: {value: /__headers}}
                      backend: {service: 127.0.0.1, port: %1$d}
                    - match: {path: {value: /framed}}
                      backend: {service: 127.0.0.1, port: %1$d}
                      headers: {response: {set: {X-Frame-Options: SAMEORIGIN}}}
                """.formatted(backend.port()));
    }

    @AfterEach
    void stop() {
        proxy.close();
        backend.close();
    }

    @Test
    void respondRouteAnswersWithItsStatusBodyAndHeaders() {
        RawResponse response = proxy.request("GET", "app.example.com", "/maintenance");

        assertThat(response.status()).isEqualTo(503);
        assertThat(response.bodyText()).isEqualTo("down for maintenance");
        assertThat(response.header("Retry-After")).isEqualTo("120");
        assertThat(response.header("X-Site")).isEqualTo("yes");
        assertThat(response.header("X-Content-Type-Options")).isEqualTo("nosniff");
        assertThat(backend.connectionsAccepted()).isZero();
    }

    @Test
    void respondRouteKeepsAKeepAliveConnectionUsable() throws Exception {
        try (RawHttpClient client = proxy.connect()) {
            client.send("GET /maintenance HTTP/1.1\r\nHost: app.example.com\r\n\r\n");
            assertThat(client.readResponse().status()).isEqualTo(503);
            client.send("GET /maintenance HTTP/1.1\r\nHost: app.example.com\r\n\r\n");
            assertThat(client.readResponse().bodyText()).isEqualTo("down for maintenance");
        }
    }

    @Test
    void redirectWithEveryPartGivenKeepsTheQueryAndUsesItsStatus() {
        RawResponse response = proxy.request("GET", "app.example.com", "/old?a=1&b=%20");

        assertThat(response.status()).isEqualTo(301);
        assertThat(response.header("Location")).isEqualTo("https://new.example.com:8443/new?a=1&b=%20");
        assertThat(response.header("X-Site")).isEqualTo("yes");
    }

    @Test
    void redirectDefaultsTo302AndTakesWhatItDoesNotSayFromTheRequest() {
        RawResponse response = proxy.request("GET", "app.example.com:8080", "/moved/deep?q=x");

        assertThat(response.status()).isEqualTo(302);
        assertThat(response.header("Location")).isEqualTo("http://app.example.com:8080/elsewhere?q=x");
    }

    @Test
    void unknownHostIs404WithTheSiteHeaders() {
        RawResponse response = proxy.request("GET", "other.example.com", "/maintenance");

        assertThat(response.status()).isEqualTo(404);
        assertThat(response.header("Content-Type")).startsWith("text/plain");
        assertThat(response.header("X-Site")).isEqualTo("yes");
        assertThat(response.header("X-Frame-Options")).isEqualTo("DENY");
    }

    @Test
    void wildcardHostMatchesExactlyOneLabel() {
        assertThat(proxy.request("GET", "a.example.org", "/maintenance").status()).isEqualTo(503);
        assertThat(proxy.request("GET", "A.Example.ORG:8080", "/maintenance").status()).isEqualTo(503);
        assertThat(proxy.request("GET", "a.b.example.org", "/maintenance").status()).isEqualTo(404);
        assertThat(proxy.request("GET", "example.org", "/maintenance").status()).isEqualTo(404);
    }

    @Test
    void knownHostWithoutAMatchingRouteIs404() {
        RawResponse response = proxy.request("GET", "app.example.com", "/nothing/here");

        assertThat(response.status()).isEqualTo(404);
        assertThat(response.header("X-Site")).isEqualTo("yes");
        assertThat(backend.connectionsAccepted()).isZero();
    }

    @Test
    void strictPresetIsAppliedToProxiedResponsesAndTheBackendsServerHeaderRemoved() {
        RawResponse response = proxy.request("GET", "app.example.com", "/__headers?Server=backend&X-App=1");

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.header("X-App")).isEqualTo("1");
        assertThat(response.hasHeader("Server")).isFalse();
        assertThat(response.header("X-Content-Type-Options")).isEqualTo("nosniff");
        assertThat(response.header("X-Frame-Options")).isEqualTo("DENY");
        assertThat(response.header("Referrer-Policy")).isEqualTo("strict-origin-when-cross-origin");
        assertThat(response.header("Permissions-Policy")).isEqualTo("camera=(), microphone=(), geolocation=()");
        assertThat(response.hasHeader("Strict-Transport-Security")).as("HSTS is for TLS responses only").isFalse();
        assertThat(response.header("X-Site")).isEqualTo("yes");
    }

    @Test
    void routesOwnResponseHeaderWinsOverThePreset() {
        RawResponse response = proxy.request("GET", "app.example.com", "/framed");

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.headers("X-Frame-Options")).containsExactly("SAMEORIGIN");
        assertThat(response.header("X-Content-Type-Options")).isEqualTo("nosniff");
    }

    @Test
    void backendsOwnPresetHeaderIsReplacedNotDuplicated() {
        RawResponse response = proxy.request("GET", "app.example.com", "/__headers?X-Frame-Options=ALLOWALL");

        assertThat(response.headers("X-Frame-Options")).containsExactly("DENY");
    }
}
