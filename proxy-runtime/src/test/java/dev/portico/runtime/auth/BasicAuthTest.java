package dev.portico.runtime.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import at.favre.lib.crypto.bcrypt.BCrypt;
import dev.portico.crds.InvalidProxySiteException;
import dev.portico.runtime.testing.RawHttpClient;
import dev.portico.runtime.testing.RawResponse;
import dev.portico.runtime.testing.RunningProxy;
import dev.portico.runtime.testing.TestBackend;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code auth.basic} end to end: htpasswd lines from the secrets directory (a mounted Secret's key {@code auth}), the
 * challenge, verification off the event loop, failed attempts in the metrics, the rate limit before auth, and a
 * missing or non-bcrypt Secret refusing the config rather than serving without auth.
 */
@Timeout(60)
class BasicAuthTest {

    private static final String ALICE = "alice:" + BCrypt.withDefaults().hashToString(4, "s3cret".toCharArray());

    @TempDir
    Path dir;
    TestBackend backend;
    RunningProxy proxy;

    @BeforeEach
    void start() {
        backend = TestBackend.start("app");
        writeHtpasswd(dir, "admins", ALICE + "\n");
    }

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        backend.close();
    }

    private static void writeHtpasswd(Path dir, String secret, String lines) {
        try {
            Path folder = Files.createDirectories(dir.resolve("secrets").resolve(secret));
            Files.writeString(folder.resolve("auth"), lines, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String site(String secretName, String extra) {
        return """
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: test, generation: 1}
                spec:
                  hosts: ["*"]
                %s
                  auth:
                    basic: {secretName: %s, realm: Team}
                  routes:
                    - match: {path: {value: /public}}
                      backend: {service: 127.0.0.1, port: %d}
                      auth: {enabled: false}
                    - match: {path: {value: /}}
                      backend: {service: 127.0.0.1, port: %d}
                """.formatted(extra.indent(2).stripTrailing(), secretName, backend.port(), backend.port());
    }

    private static String basic(String userColonPassword) {
        return "Authorization: Basic "
                + Base64.getEncoder().encodeToString(userColonPassword.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aRequestWithoutCredentialsIsChallengedAndKeepsItsConnection() throws Exception {
        proxy = RunningProxy.start(dir, site("admins", ""));
        try (RawHttpClient client = proxy.connect()) {
            client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
            RawResponse challenge = client.readResponse();
            assertThat(challenge.status()).isEqualTo(401);
            assertThat(challenge.header("WWW-Authenticate")).isEqualTo("Basic realm=\"Team\", charset=\"UTF-8\"");
            assertThat(challenge.hasHeader("Connection")).isFalse();

            client.send("GET /again HTTP/1.1\r\nHost: a\r\n" + basic("alice:s3cret") + "\r\n\r\n");
            assertThat(client.readResponse().status()).isEqualTo(200);
        }
        assertThat(backend.requests()).hasSize(1);
        assertThat(proxy.metric("portico_auth_failures_total{method=\"basic\",reason=\"invalid_credentials\"}"))
                .isZero();
    }

    @Test
    void theRightPasswordGoesThroughAndWrongOnesAreCounted() {
        proxy = RunningProxy.start(dir, site("admins", ""));

        assertThat(proxy.get("/", basic("alice:s3cret")).status()).isEqualTo(200);
        assertThat(backend.takeRequest().header("Authorization")).startsWith("Basic ");
        assertThat(proxy.get("/", basic("alice:wrong")).status()).isEqualTo(401);
        assertThat(proxy.get("/", basic("mallory:s3cret")).status()).isEqualTo(401);
        assertThat(proxy.get("/", "Authorization: Basic ***").status()).isEqualTo(401);
        assertThat(proxy.get("/public").status()).isEqualTo(200);

        assertThat(backend.requests()).hasSize(2);
        assertThat(proxy.metric("portico_auth_failures_total{method=\"basic\",reason=\"invalid_credentials\"}"))
                .isEqualTo(3.0);
    }

    @Test
    void bcryptRunsOffTheEventLoop() throws Exception {
        // Cost 14: a second or so per check. With one event loop, a check on it would stall every other request.
        writeHtpasswd(dir, "slow", "bob:" + BCrypt.withDefaults().hashToString(14, "pw".toCharArray()) + "\n");
        proxy = RunningProxy.startOnOneEventLoop(dir, site("slow", ""));

        long start = System.nanoTime();
        CompletableFuture<RawResponse> checked = CompletableFuture.supplyAsync(() -> proxy.get("/", basic("bob:pw")));
        Thread.sleep(100);
        RawResponse other = proxy.get("/public");
        Duration otherTook = Duration.ofNanos(System.nanoTime() - start);

        assertThat(other.status()).isEqualTo(200);
        assertThat(checked).isNotDone();
        assertThat(otherTook).isLessThan(Duration.ofMillis(600));
        assertThat(checked.get().status()).isEqualTo(200);
    }

    @Test
    void theRateLimitAppliesBeforeAuthSoGuessingIsThrottled() {
        proxy = RunningProxy.start(dir, site("admins", "rateLimit: {requestsPerSecond: 1, burst: 2}"));

        assertThat(proxy.get("/", basic("alice:guess1")).status()).isEqualTo(401);
        assertThat(proxy.get("/", basic("alice:guess2")).status()).isEqualTo(401);
        assertThat(proxy.get("/", basic("alice:s3cret")).status()).isEqualTo(429);
        assertThat(proxy.metric("portico_auth_failures_total{method=\"basic\",reason=\"invalid_credentials\"}"))
                .isEqualTo(2.0);
    }

    @Test
    void aMissingSecretOrANonBcryptLineNeverServesUnauthenticated() {
        assertThatThrownBy(() -> RunningProxy.start(dir, site("nobody", "")).close())
                .isInstanceOf(InvalidProxySiteException.class)
                .hasMessageContaining("spec.auth.basic.secretName")
                .hasMessageContaining("Secret \"nobody\" key \"auth\" not found");

        proxy = RunningProxy.start(dir, site("admins", ""));
        writeHtpasswd(dir, "weak", ALICE + "\nbob:$apr1$Qz7fH3dQ$0pZ4bC1W2d8f0k6hZ2vJ5/\n");
        proxy.reconfigure(site("weak", ""));
        proxy.reconfigure(site("nobody", ""));

        // Both refused: the last good config, with its auth, keeps serving.
        assertThat(proxy.metric("portico_config_reloads_total{result=\"rejected\"}")).isEqualTo(2.0);
        assertThat(proxy.get("/").status()).isEqualTo(401);
        assertThat(proxy.get("/", basic("alice:s3cret")).status()).isEqualTo(200);
    }
}
