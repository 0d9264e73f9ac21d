package dev.portico.runtime.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.crds.bundle.BundleFiles;
import dev.portico.crds.bundle.ConfigPush;
import dev.portico.runtime.testing.AdminClient;
import dev.portico.runtime.testing.MountedBundle;
import dev.portico.runtime.testing.RawHttpClient;
import dev.portico.runtime.testing.RawResponse;
import dev.portico.runtime.testing.RunningProxy;
import dev.portico.runtime.testing.TestBackend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Per-route {@code accessControl} and {@code rateLimit} end to end, on a runtime that takes pushes as a pod does:
 * a route's own policy replaces the site's for it, a route's limit has its own buckets, {@code enabled: false}
 * lifts the site's, a request no route takes meets the site's policies before its 404, and a push that keeps a
 * route's limit keeps its buckets. Bursts are pipelined on one connection, far faster than a token comes back
 * (one a second).
 */
@Timeout(60)
class RoutePoliciesTest {

    private static final String TOKEN = "tok-routes";

    @TempDir
    Path dir;
    TestBackend backend;
    RunningProxy proxy;
    AdminClient admin;
    long revision = 1;

    @BeforeEach
    void start() throws IOException {
        backend = TestBackend.start("app");
        Path tokenFile = Files.writeString(dir.resolve("token"), TOKEN + "\n");
        proxy = RunningProxy.start(MountedBundle.mount(dir.resolve("mount"), files(site("", "")), revision),
                tokenFile);
        admin = proxy.admin();
    }

    @AfterEach
    void stop() {
        proxy.close();
        backend.close();
    }

    private String site(String siteFields, String routesBefore) {
        return """
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: routes, generation: 1}
                spec:
                  hosts: [app.example.com]
                %s
                  routes:
                %s
                    - match: {path: {value: /api}}
                      backend: {service: 127.0.0.1, port: %d}
                      accessControl: {}
                      rateLimit: {requestsPerSecond: 1, burst: 3}
                    - match: {path: {value: /free}}
                      backend: {service: 127.0.0.1, port: %d}
                      rateLimit: {enabled: false}
                    - match: {path: {value: /office}}
                      backend: {service: 127.0.0.1, port: %d}
                      accessControl: {allow: ["10.0.0.0/8"]}
                    - match: {path: {value: /}}
                      backend: {service: 127.0.0.1, port: %d}
                """.formatted(siteFields.indent(2).stripTrailing(), routesBefore.indent(4).stripTrailing(),
                backend.port(), backend.port(), backend.port(), backend.port());
    }

    private static Map<String, String> files(String site) {
        return Map.of(BundleFiles.SITE_FILE, site);
    }

    private void push(String site) {
        assertThat(admin.push(ConfigPush.of(++revision, files(site)), TOKEN).status()).isEqualTo(200);
    }

    @Test
    void aRoutesAccessControlReplacesTheSitesAndUnroutedRequestsMeetTheSites() {
        push(site("accessControl: {deny: [\"127.0.0.0/8\"]}", ""));

        assertThat(proxy.get("/").status()).isEqualTo(403);
        assertThat(proxy.get("/api/x").status()).isEqualTo(200);
        // /office's own allow list replaces the site's deny list, and does not let this client in either.
        assertThat(proxy.get("/office").status()).isEqualTo(403);
        assertThat(proxy.request("GET", "other.example.com", "/api").status()).isEqualTo(403);
        assertThat(backend.takeRequest().uri()).isEqualTo("/api/x");
        assertThat(backend.pollRequest(Duration.ofMillis(200))).isEmpty();

        push(site("", ""));
        assertThat(proxy.get("/").status()).isEqualTo(200);
        assertThat(proxy.get("/office").status()).isEqualTo(403);
        assertThat(proxy.request("GET", "other.example.com", "/api").status()).isEqualTo(404);
    }

    @Test
    void aRoutesRateLimitHasItsOwnBucketsAndEnabledFalseLiftsTheSites() throws IOException {
        push(site("rateLimit: {requestsPerSecond: 1, burst: 2}", ""));

        assertThat(statuses(burst("/", 3))).containsExactly(200, 200, 429);
        // The site's buckets are empty for this client; the route's are its own.
        assertThat(statuses(burst("/api", 4))).containsExactly(200, 200, 200, 429);
        assertThat(statuses(burst("/free", 20))).containsOnly(200);
        // A request no route takes spends the site's tokens, and gets its 429 before a 404.
        assertThat(proxy.request("GET", "other.example.com", "/").status()).isEqualTo(429);
    }

    @Test
    void aPushThatKeepsARoutesLimitKeepsItsBucketsEvenWithARouteAddedBeforeIt() throws IOException {
        assertThat(statuses(burst("/api", 4))).containsExactly(200, 200, 200, 429);

        push(site("headers: {response: {set: {X-Pushed: \"1\"}}}", """
                - match: {path: {value: /new}}
                  respond: {status: 200}
                """));
        RawResponse afterPush = burst("/api", 1).get(0);
        assertThat(afterPush.header("X-Pushed")).isEqualTo("1");
        assertThat(afterPush.status()).isEqualTo(429);

        push(site("", "").replace("burst: 3", "burst: 5"));
        assertThat(statuses(burst("/api", 5))).containsOnly(200);
    }

    /** {@code n} GETs of {@code path} pipelined on one fresh connection; their responses in order. */
    private List<RawResponse> burst(String path, int n) throws IOException {
        StringBuilder raw = new StringBuilder();
        for (int i = 0; i < n; i++) {
            raw.append("GET ").append(path).append(" HTTP/1.1\r\nHost: app.example.com\r\n\r\n");
        }
        try (RawHttpClient client = proxy.connect()) {
            client.send(raw.toString());
            List<RawResponse> responses = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                responses.add(client.readResponse());
            }
            return responses;
        }
    }

    private static List<Integer> statuses(List<RawResponse> responses) {
        return responses.stream().map(RawResponse::status).toList();
    }
}
