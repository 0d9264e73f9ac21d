package dev.portico.runtime.policy;

import static org.assertj.core.api.Assertions.assertThat;

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

/** {@code accessControl} end to end: refused clients get 403 from the proxy and never reach the backend. */
@Timeout(60)
class AccessControlTest {

    private static final String SITE_HEADERS = """
            headers:
              response: {set: {"X-Site": "vera"}}
            """;

    @TempDir
    Path dir;
    TestBackend backend;
    RunningProxy proxy;

    @BeforeEach
    void start() {
        backend = TestBackend.start("app");
        proxy = RunningProxy.start(dir, RunningProxy.siteFor(backend, SITE_HEADERS));
    }

    @AfterEach
    void stop() {
        proxy.close();
        backend.close();
    }

    @Test
    void withoutAccessControlTheClientIsServed() {
        assertThat(proxy.get("/").status()).isEqualTo(200);
        assertThat(backend.takeRequest().uri()).isEqualTo("/");
    }

    @Test
    void aDeniedClientGets403WithTheSiteHeadersAndTheBackendSeesNothing() {
        proxy.reconfigure(RunningProxy.siteFor(backend, SITE_HEADERS + "accessControl: {deny: [\"127.0.0.0/8\"]}"));

        RawResponse response = proxy.get("/secret");

        assertThat(response.status()).isEqualTo(403);
        assertThat(response.header("X-Site")).isEqualTo("vera");
        assertThat(backend.pollRequest(Duration.ofMillis(300))).isEmpty();
    }

    @Test
    void anAllowListWithoutTheClientRefusesIt() {
        proxy.reconfigure(RunningProxy.siteFor(backend,
                SITE_HEADERS + "accessControl: {allow: [\"10.0.0.0/8\", \"fd00::/8\"]}"));

        RawResponse response = proxy.get("/");

        assertThat(response.status()).isEqualTo(403);
        assertThat(response.header("X-Site")).isEqualTo("vera");
        assertThat(backend.pollRequest(Duration.ofMillis(300))).isEmpty();
    }

    @Test
    void anAllowListWithTheClientServesIt() {
        proxy.reconfigure(RunningProxy.siteFor(backend, "accessControl: {allow: [\"127.0.0.1/32\"]}"));

        assertThat(proxy.get("/").status()).isEqualTo(200);
        assertThat(backend.takeRequest().uri()).isEqualTo("/");
    }

    @Test
    void behindATrustedProxyTheForwardedClientIsJudged() {
        proxy.reconfigure(RunningProxy.siteFor(backend, """
                trustedProxies: {cidrs: ["127.0.0.0/8"]}
                accessControl: {deny: ["203.0.113.0/24"]}
                """));

        RawResponse denied = proxy.get("/", "X-Forwarded-For: 203.0.113.9");
        RawResponse allowed = proxy.get("/ok", "X-Forwarded-For: 198.51.100.1");

        assertThat(denied.status()).isEqualTo(403);
        assertThat(allowed.status()).isEqualTo(200);
        assertThat(backend.takeRequest().uri()).isEqualTo("/ok");
        assertThat(backend.pollRequest(Duration.ofMillis(300))).isEmpty();
    }

    @Test
    void anUntrustedPeerCannotEscapeADenyByClaimingAnotherAddress() {
        proxy.reconfigure(RunningProxy.siteFor(backend, "accessControl: {deny: [\"127.0.0.0/8\"]}"));

        assertThat(proxy.get("/", "X-Forwarded-For: 198.51.100.1").status()).isEqualTo(403);
        assertThat(backend.pollRequest(Duration.ofMillis(300))).isEmpty();
    }

    @Test
    void aDeniedIpv6ClientBehindATrustedProxyIsRefused() {
        proxy.reconfigure(RunningProxy.siteFor(backend, """
                trustedProxies: {cidrs: ["127.0.0.0/8"]}
                accessControl: {deny: ["2001:db8:bad::/48"]}
                """));

        assertThat(proxy.get("/", "X-Forwarded-For: 2001:db8:bad::7").status()).isEqualTo(403);
        assertThat(proxy.get("/v6", "X-Forwarded-For: 2001:db8:900d::7").status()).isEqualTo(200);
        assertThat(backend.takeRequest().uri()).isEqualTo("/v6");
    }
}
