package dev.portico.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.runtime.testing.RecordedRequest;
import dev.portico.runtime.testing.TestBackend;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * authentik's "Reverse-proxy" page against deploy/examples/authentik.yaml: the headers it
 * must receive (X-Forwarded-Proto, X-Forwarded-For, Host, the WebSocket upgrade), no
 * HTTP/1.0 upgrades, TLS 1.3 only, HSTS, and its HTTPS upstream on 9443.
 */
class AuthentikEndToEndTest extends SeedGuideEndToEnd {

    private static final String HOST = "sso.example.com";
    private TestBackend authentik;
    private String hsts = "max-age=63072000";

    @Override
    String namespace() {
        return "authentik";
    }

    @Override
    String example() {
        return "authentik.yaml";
    }

    @Override
    Map<String, String> hosts() {
        return Map.of("authentik", HOST);
    }

    @Override
    Map<String, String> certificates() {
        return Map.of("authentik-tls", HOST);
    }

    @Override
    void startBackends() {
        // upstream authentik { server ...:9443; } with proxy_pass https:// and authentik's own certificate.
        authentik = tlsBackend("authentik-server");
        cluster.services.put("authentik-server", 9443, authentik);
    }

    @Override
    void verifyTheGuide(String site, GuideChecks checks) throws IOException {
        checks.redirectsPlainHttpToHttps();
        // "disable SSL/TLS protocols older than TLS 1.3"
        checks.speaksTls(List.of("TLSv1.3"), List.of("TLSv1.2", "TLSv1.1"));
        checks.offersHttp2();
        // X-Forwarded-Proto, X-Forwarded-For, Host: over the HTTPS upstream.
        RecordedRequest seen = checks.forwardsWithTheProxyHeaders("/if/flow/default-authentication-flow/", authentik);
        assertThat(seen.header("X-Forwarded-For")).isEqualTo("127.0.0.1");
        // A client outside the trusted proxies cannot claim another address.
        checks.get("/api/v3/root/config/", "X-Forwarded-For: 203.0.113.9");
        assertThat(GuideChecks.last(authentik, "/api/v3/root/config/").header("X-Forwarded-For")).isEqualTo("127.0.0.1");
        // add_header Strict-Transport-Security "max-age=63072000" always;
        assertThat(checks.get("/").header("Strict-Transport-Security")).isEqualTo(hsts);
        // Connection: Upgrade and Upgrade: WebSocket for the outposts' endpoints ...
        checks.carriesWebSockets("/ws/outpost/1/", authentik);
        // ... which HTTP/1.0 cannot carry.
        checks.refusesHttp10Upgrades();
    }

    @Override
    String changeARoute() {
        // HSTS for the subdomains too, once the user is sure of them.
        cluster.edit(namespace(), "authentik", yaml -> yaml.replace("includeSubDomains: false", "includeSubDomains: true"));
        hsts = "max-age=63072000; includeSubDomains";
        return "authentik";
    }

    @Override
    HeldStream holdAStream(GuideChecks checks) throws IOException {
        // An outpost's WebSocket to the server.
        return heldWebSocket(checks, HOST, "/ws/outpost/1/");
    }
}
