package dev.portico.runtime.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.runtime.testing.RawHttpClient;
import dev.portico.runtime.testing.RawResponse;
import dev.portico.runtime.testing.RunningProxy;
import dev.portico.runtime.testing.TestBackend;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rateLimit} end to end. Requests are pipelined on one connection so a burst reaches the proxy within a few
 * milliseconds, far less than the time a token takes to come back.
 */
@Timeout(60)
class RateLimitTest {

    private static final String TRUSTED = "trustedProxies: {cidrs: [\"127.0.0.0/8\"]}\n";

    @TempDir
    Path dir;
    TestBackend backend;
    RunningProxy proxy;

    @BeforeEach
    void start() {
        backend = TestBackend.start("app");
        proxy = RunningProxy.start(dir, RunningProxy.siteFor(backend, """
                headers:
                  response: {set: {"X-Site": "vera"}}
                rateLimit: {requestsPerSecond: 5, burst: 5}
                """));
    }

    @AfterEach
    void stop() {
        proxy.close();
        backend.close();
    }

    @Test
    void theRequestAfterTheBurstGets429WithRetryAfter() throws Exception {
        List<RawResponse> responses = burst(6);

        for (int i = 0; i < 5; i++) {
            assertThat(responses.get(i).status()).as("request %d", i + 1).isEqualTo(200);
        }
        RawResponse refused = responses.get(5);
        assertThat(refused.status()).isEqualTo(429);
        assertThat(refused.header("Retry-After")).isEqualTo("1");
        assertThat(refused.header("X-Site")).isEqualTo("vera");
        assertThat(backend.requests()).hasSize(5);
    }

    @Test
    void theBucketRefillsAfterRetryAfter() throws Exception {
        List<RawResponse> first = burst(6);
        assertThat(first.get(5).status()).isEqualTo(429);
        long retryAfter = Long.parseLong(first.get(5).header("Retry-After"));

        Thread.sleep(retryAfter * 1_000 + 100);

        assertThat(proxy.get("/again").status()).isEqualTo(200);
    }

    @Test
    void clientsBehindATrustedProxyHaveTheirOwnBuckets() throws Exception {
        proxy.reconfigure(RunningProxy.siteFor(backend, TRUSTED + "rateLimit: {requestsPerSecond: 5, burst: 5}"));

        List<RawResponse> alice = burst(6, "X-Forwarded-For: 198.51.100.1");
        List<RawResponse> bob = burst(5, "X-Forwarded-For: 198.51.100.2");

        assertThat(alice.get(5).status()).isEqualTo(429);
        assertThat(bob).extracting(RawResponse::status).containsOnly(200);
        // The proxy in front (the TCP peer) is not the one charged.
        assertThat(burst(1, "X-Forwarded-For: 2001:db8::c").get(0).status()).isEqualTo(200);
    }

    @Test
    void aReloadWithTheSameSettingsKeepsTheBucketsAndNewSettingsStartAfresh() throws Exception {
        // One token per second: a reload taking less than that cannot hide a kept bucket.
        proxy.reconfigure(RunningProxy.siteFor(backend, "rateLimit: {requestsPerSecond: 1, burst: 5}"));
        assertThat(burst(6).get(5).status()).isEqualTo(429);

        proxy.reconfigure(RunningProxy.siteFor(backend, """
                headers:
                  response: {set: {"X-Reloaded": "1"}}
                rateLimit: {requestsPerSecond: 1, burst: 5}
                """));
        RawResponse afterSameReload = burst(1).get(0);
        assertThat(afterSameReload.header("X-Reloaded")).isEqualTo("1");
        assertThat(afterSameReload.status()).isEqualTo(429);

        proxy.reconfigure(RunningProxy.siteFor(backend, "rateLimit: {requestsPerSecond: 1, burst: 6}"));
        assertThat(burst(6)).extracting(RawResponse::status).containsOnly(200);
    }

    @Test
    void removingTheRateLimitLiftsIt() throws Exception {
        assertThat(burst(6).get(5).status()).isEqualTo(429);

        proxy.reconfigure(RunningProxy.siteFor(backend, ""));

        assertThat(burst(20)).extracting(RawResponse::status).containsOnly(200);
    }

    /** {@code n} GETs pipelined on one fresh connection, with {@code headers}; their responses in order. */
    private List<RawResponse> burst(int n, String... headers) throws IOException {
        StringBuilder raw = new StringBuilder();
        for (int i = 0; i < n; i++) {
            raw.append("GET /n/").append(i).append(" HTTP/1.1\r\nHost: app.example.com\r\n");
            for (String header : headers) {
                raw.append(header).append("\r\n");
            }
            raw.append("\r\n");
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
}
