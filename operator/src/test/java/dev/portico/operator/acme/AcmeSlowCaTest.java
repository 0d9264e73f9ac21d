package dev.portico.operator.acme;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portico.runtime.testing.RunningProxy;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A slow CA: the real Pebble behind {@link SlowRelay}, which delays every byte Pebble sends. The client's
 * per-request timeout (AcmeTrust) is shortened here so the test need not wait the production 30 s; what is
 * proved is that the timeout bounds every request, not the whole order, and ends a too-slow CA as CAUnreachable.
 */
@Timeout(120)
class AcmeSlowCaTest {

    /** The client's per-request timeout in these tests. */
    static final Duration TIMEOUT = Duration.ofSeconds(4);

    @TempDir
    Path dir;
    RunningProxy proxy;
    Pebble pebble;
    SlowRelay relay;
    final KeyPair account = AcmeTrust.newKeyPair();

    @BeforeEach
    void start() throws Exception {
        proxy = RunningProxy.start(Files.createDirectories(dir.resolve("site")), """
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: acme}
                spec:
                  hosts: [a.example.com]
                  routes:
                    - respond: {status: 404, body: "not an answer"}
                """);
        pebble = new Pebble(dir.resolve("pebble"), proxy.httpPort(), Duration.ofDays(7));
        pebble.resolve("a.example.com", List.of("127.0.0.1"));
    }

    @AfterEach
    void stop() {
        if (relay != null) {
            relay.close();
        }
        if (pebble != null) {
            pebble.close();
        }
        if (proxy != null) {
            proxy.close();
        }
    }

    /** Pebble's directory through a relay that delays what Pebble sends by {@code delay}. */
    private String slowDirectory(Duration delay) throws Exception {
        relay = new SlowRelay(URI.create(pebble.directory()).getPort(), delay, Duration.ofSeconds(100));
        // localhost, as Pebble's own directory: its listener certificate names localhost.
        return "https://localhost:" + relay.port() + "/dir";
    }

    private void publish(List<String> answers) {
        ServedAnswers.publish(proxy, "a.example.com", answers);
    }

    @Test
    void theShippedSessionHasAPerRequestTimeoutShorterThanTheCaWait() {
        Duration shipped = AcmeTrust.of(pebble.caFile()).session(pebble.directory()).networkSettings().getTimeout();

        assertThat(shipped).isEqualTo(AcmeTrust.TIMEOUT).isLessThan(AcmeOrder.CA_WAIT);
    }

    @Test
    void aCaSlowerThanTheTimeoutIsUnreachableWithinTheTimeoutAndRetriedLater() throws Exception {
        String directory = slowDirectory(TIMEOUT.multipliedBy(3));
        AcmeTrust trust = AcmeTrust.of(pebble.caFile()).withTimeout(TIMEOUT);

        long started = System.nanoTime();
        assertThatThrownBy(() -> AcmeOrder.run(trust.session(directory), account, "ops@portico.dev",
                List.of("a.example.com"), null, this::publish, progress -> { }))
                .isInstanceOfSatisfying(AcmeFailure.class, failure -> {
                    assertThat(failure.reason()).isEqualTo(AcmeFailure.CA_UNREACHABLE);
                    // The JDK client counts the TLS handshake as connecting: a CA that does not finish it in
                    // time is an HttpConnectTimeoutException, a later slow answer an HttpTimeoutException.
                    assertThat(failure.getMessage()).startsWith("registering the account").contains("timed out");
                    assertThat(failure.retryAfter()).isNull();
                    // No hot loop: the next attempt is a backoff away, not now.
                    Instant now = Instant.now();
                    assertThat(Backoff.next(now, 1, failure.retryAfter())).isAfterOrEqualTo(now.plus(Duration.ofMinutes(1)));
                });
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        // Given up at the timeout, before the slow CA would even have answered the first request.
        assertThat(took).isGreaterThanOrEqualTo(TIMEOUT.minusMillis(200)).isLessThan(TIMEOUT.multipliedBy(3));
    }

    @Test
    void aCaSlowWithinTheTimeoutStillIssues() throws Exception {
        String directory = slowDirectory(Duration.ofSeconds(1));
        AcmeTrust trust = AcmeTrust.of(pebble.caFile()).withTimeout(TIMEOUT);

        long started = System.nanoTime();
        AcmeOrder.Issued issued = AcmeOrder.run(trust.session(directory), account, "ops@portico.dev",
                List.of("a.example.com"), null, this::publish, progress -> { });
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        assertThat(AcmeCertificates.names(issued.leaf())).containsExactly("a.example.com");
        assertThat(issued.leaf().getIssuerX500Principal().getName()).contains("Pebble");
        // The relay really was slow, and the order as a whole took longer than one request may:
        // the timeout bounds each request, not the order.
        assertThat(took).isGreaterThan(TIMEOUT);
    }
}
