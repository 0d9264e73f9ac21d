package dev.portico.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.runtime.testing.RawResponse;
import dev.portico.runtime.testing.TestBackend;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * Infram's reverse proxy guide against deploy/examples/infram.yaml: redirect, TLS 1.2/1.3
 * with HTTP/2, HSTS with includeSubDomains, the forwarded headers Infram's TRUST_PROXY
 * reads, WebSockets for terminal sessions, and compression (Caddy's encode zstd gzip).
 */
class InframEndToEndTest extends SeedGuideEndToEnd {

    private static final String HOST = "infram.example.com";
    private TestBackend infram;

    @Override
    String namespace() {
        return "infram";
    }

    @Override
    String example() {
        return "infram.yaml";
    }

    @Override
    Map<String, String> hosts() {
        return Map.of("infram", HOST);
    }

    @Override
    Map<String, String> certificates() {
        return Map.of("infram-tls", HOST);
    }

    @Override
    void startBackends() {
        infram = backend("infram");
        cluster.services.put("infram", 6989, infram);
    }

    @Override
    void verifyTheGuide(String site, GuideChecks checks) throws IOException {
        // "Confirm HTTP requests are redirected to HTTPS."
        checks.redirectsPlainHttpToHttps();
        // ssl_protocols TLSv1.2 TLSv1.3; listen 443 ssl http2;
        checks.speaksTls(List.of("TLSv1.2", "TLSv1.3"), List.of("TLSv1.1"));
        checks.offersHttp2();
        // Host, X-Forwarded-For, X-Forwarded-Proto ("Validate audit events include the real client IP").
        checks.forwardsWithTheProxyHeaders("/login", infram);
        // add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always;
        RawResponse page = checks.get("/");
        assertThat(page.header("Strict-Transport-Security")).isEqualTo("max-age=31536000; includeSubDomains");
        // "Login and open an interactive terminal session": the terminal's WebSocket.
        checks.carriesWebSockets("/api/terminal", infram);
        // encode zstd gzip
        RawResponse compressed = checks.get("/__text?bytes=4096&type=text/html", "Accept-Encoding: gzip");
        assertThat(compressed.header("Content-Encoding")).isEqualTo("gzip");
        assertThat(compressed.header("Vary")).containsIgnoringCase("Accept-Encoding");
    }

    @Override
    String changeARoute() {
        // Even longer-lived terminal sessions: the route's idle timeout raised.
        cluster.edit(namespace(), "infram", yaml -> yaml.replace("idle: 86400s", "idle: 90000s"));
        return "infram";
    }

    @Override
    HeldStream holdAStream(GuideChecks checks) throws IOException {
        // "Confirm session remains stable for long-running commands."
        return heldWebSocket(checks, HOST, "/api/terminal");
    }
}
