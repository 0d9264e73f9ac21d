package dev.portico.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.runtime.testing.RawResponse;
import dev.portico.runtime.testing.TestBackend;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * ai.doo's "Reverse Proxy Setup" against deploy/examples/aidoo.yaml, three sites (Hub, PIKA,
 * VERA): X-Forwarded-Proto for secure cookies, unbuffered and uncompressed SSE, the upload
 * limits, the shared security headers with each site's CSP, VERA's path routing and its
 * blocked /internal/, and the health endpoints.
 */
class AidooEndToEndTest extends SeedGuideEndToEnd {

    private static final String STRICT_HSTS = "max-age=63072000; includeSubDomains; preload";
    private final Map<String, TestBackend> backends = new LinkedHashMap<>();
    private long pikaLimit = 100L << 20;

    @Override
    String namespace() {
        return "aidoo";
    }

    @Override
    String example() {
        return "aidoo.yaml";
    }

    @Override
    Map<String, String> hosts() {
        Map<String, String> hosts = new LinkedHashMap<>();
        hosts.put("hub", "hub.example.com");
        hosts.put("pika", "pika.example.com");
        hosts.put("vera", "vera.example.com");
        return hosts;
    }

    @Override
    Map<String, String> certificates() {
        Map<String, String> secrets = new LinkedHashMap<>();
        hosts().forEach((site, host) -> secrets.put(site + "-tls", host));
        return secrets;
    }

    @Override
    void startBackends() {
        // The guide's service table: hub:8000, pika:8000, vera-backend:8000, vera-frontend:3000.
        for (var service : List.of(Map.entry("hub", 8000), Map.entry("pika", 8000), Map.entry("vera-backend", 8000),
                Map.entry("vera-frontend", 3000))) {
            TestBackend backend = backend(service.getKey());
            backends.put(service.getKey(), backend);
            cluster.services.put(service.getKey(), service.getValue(), backend);
        }
    }

    @Override
    void verifyTheGuide(String site, GuideChecks checks) throws IOException {
        checks.redirectsPlainHttpToHttps();
        checks.offersHttp2();
        TestBackend app = backends.get(site.equals("vera") ? "vera-backend" : site);
        // "Your proxy must set" X-Forwarded-Proto (secure cookies, VERA's CSRF check); health probes.
        checks.forwardsWithTheProxyHeaders(site.equals("vera") ? "/api/health" : "/health", app);
        // SSE: flushed per event, never gzipped (Hub's model pulls, PIKA's queries, VERA's status).
        checks.streamsServerSentEvents();

        // (security_headers) plus each site's CSP; VERA frames SAMEORIGIN.
        RawResponse page = checks.get(site.equals("vera") ? "/dashboard" : "/");
        assertThat(page.header("Strict-Transport-Security")).isEqualTo(STRICT_HSTS);
        assertThat(page.header("X-Content-Type-Options")).isEqualTo("nosniff");
        assertThat(page.header("X-Frame-Options")).isEqualTo(site.equals("vera") ? "SAMEORIGIN" : "DENY");
        assertThat(page.header("Referrer-Policy")).isEqualTo("strict-origin-when-cross-origin");
        assertThat(page.header("Permissions-Policy")).isEqualTo("camera=(), microphone=(), geolocation=()");
        assertThat(page.header("Content-Security-Policy")).startsWith("default-src 'self'");
        assertThat(page.hasHeader("Server")).as("-Server").isFalse();

        switch (site) {
            case "pika" -> {
                // request_body { max_size 100MB } for document uploads.
                checks.acceptsUploadsOf(5 << 20, app);
                checks.invitesUploadsOf(pikaLimit);
                checks.refusesUploadsOf(pikaLimit + 1);
            }
            case "vera" -> {
                // handle /api/* -> vera-backend; handle -> vera-frontend; /internal/* -> 404.
                checks.forwardsWithTheProxyHeaders("/api/documents/7/status/stream", backends.get("vera-backend"));
                checks.forwardsWithTheProxyHeaders("/documents/7", backends.get("vera-frontend"));
                RawResponse internal = checks.get("/internal/metrics");
                assertThat(internal.status()).isEqualTo(404);
                assertThat(internal.bodyText()).isEqualTo("Not Found");
                // request_body { max_size 25MB } (VERA's MAX_UPLOAD_MB)
                checks.invitesUploadsOf(25L << 20);
                checks.refusesUploadsOf((25L << 20) + 1);
            }
            default -> {
            }
        }
    }

    @Override
    String changeARoute() {
        // PIKA's MAX_UPLOAD_SIZE raised to 120 MB: the proxy's limit follows.
        cluster.edit(namespace(), "pika", yaml -> yaml.replace("maxRequestBodySize: 100Mi", "maxRequestBodySize: 120Mi"));
        pikaLimit = 120L << 20;
        return "pika";
    }

    @Override
    HeldStream holdAStream(GuideChecks checks) throws IOException {
        // Hub's model download progress: an SSE stream that stays open.
        return heldEventStream(checks, "hub.example.com");
    }
}
