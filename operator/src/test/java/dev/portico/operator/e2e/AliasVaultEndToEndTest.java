package dev.portico.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.runtime.testing.TestBackend;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * AliasVault's "Reverse Proxy Configuration" guide ("Simplest Setup") against
 * deploy/examples/aliasvault.yaml: one hostname forwarded whole to AliasVault's internal
 * HTTPS proxy without TLS verification, paths as-is, X-Real-IP and X-Forwarded-*, the
 * admin panel's WebSocket, and the "Testing" steps (/, /api, /admin).
 */
class AliasVaultEndToEndTest extends SeedGuideEndToEnd {

    private static final String HOST = "aliasvault.example.com";
    private TestBackend internalProxy;
    private boolean rateLimited;

    @Override
    String namespace() {
        return "aliasvault";
    }

    @Override
    String example() {
        return "aliasvault.yaml";
    }

    @Override
    Map<String, String> hosts() {
        return Map.of("aliasvault", HOST);
    }

    @Override
    Map<String, String> certificates() {
        return Map.of("aliasvault-tls", HOST);
    }

    @Override
    void startBackends() {
        // proxy_pass https://aliasvault-internal:443, self-signed: "No TLS Verify".
        internalProxy = tlsBackend("reverse-proxy");
        cluster.services.put("reverse-proxy", 443, internalProxy);
    }

    @Override
    void verifyTheGuide(String site, GuideChecks checks) throws IOException {
        checks.redirectsPlainHttpToHttps();
        checks.speaksTls(List.of("TLSv1.2", "TLSv1.3"), List.of("TLSv1.1"));
        // "https://your-domain.com/ loads the client app", "/api returns OK", "/admin loads the
        // admin interface": all three reach the internal proxy with their paths unchanged.
        for (String path : List.of("/", "/api", "/admin", "/api/v1/Auth/status?x=%2F")) {
            checks.forwardsWithTheProxyHeaders(path, internalProxy);
        }
        // "WebSocket Support - Required for the Blazor-based admin interface"
        checks.carriesWebSockets("/admin/_blazor", internalProxy);
        if (rateLimited) {
            assertThat(checks.get("/").status()).isEqualTo(200);
        }
    }

    @Override
    String changeARoute() {
        // "Consider adding rate limiting ... on your external proxy"
        cluster.edit(namespace(), "aliasvault",
                yaml -> yaml.stripTrailing() + "\n  rateLimit: {requestsPerSecond: 500, burst: 1000}\n");
        rateLimited = true;
        return "aliasvault";
    }

    @Override
    HeldStream holdAStream(GuideChecks checks) throws IOException {
        // The Blazor admin circuit.
        return heldWebSocket(checks, HOST, "/admin/_blazor");
    }
}
