package dev.portico.operator.acme;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portico.runtime.testing.RunningProxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * One order against a real ACME server (Pebble), validated for real over HTTP-01 against the proxy runtime's
 * HTTP port, with the answers delivered as a pod gets them when it starts mid-order: the bundle file beside
 * site.yaml. The operator's end of it, without a cluster; AcmeClusterTest runs the same through the operator.
 */
@Timeout(120)
class AcmeOrderTest {

    @TempDir
    Path dir;
    RunningProxy proxy;
    Pebble pebble;
    final KeyPair account = AcmeTrust.newKeyPair();

    @BeforeEach
    void start() throws Exception {
        proxy = RunningProxy.start(Files.createDirectories(dir.resolve("site")), """
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: acme}
                spec:
                  hosts: [a.example.com, b.example.com, unresolved.example.com]
                  routes:
                    - respond: {status: 404, body: "not an answer"}
                """);
        pebble = new Pebble(dir.resolve("pebble"), proxy.httpPort(), Duration.ofDays(7));
        pebble.resolve("a.example.com", List.of("127.0.0.1"));
        pebble.resolve("b.example.com", List.of("127.0.0.1"));
    }

    @AfterEach
    void stop() {
        if (pebble != null) {
            pebble.close();
        }
        if (proxy != null) {
            proxy.close();
        }
    }

    private void publish(List<String> answers) {
        ServedAnswers.publish(proxy, "a.example.com", answers);
    }

    @Test
    void anOrderIsValidatedOverTheProxysHttpPortAndIssued() throws Exception {
        AcmeTrust trust = AcmeTrust.of(pebble.caFile());

        AcmeOrder.Issued issued = AcmeOrder.run(trust.session(pebble.directory()), account, "ops@portico.dev",
                List.of("a.example.com", "b.example.com"), null, this::publish, progress -> { });

        assertThat(issued.leaf().getIssuerX500Principal().getName()).contains("Pebble");
        assertThat(AcmeCertificates.names(issued.leaf())).containsExactlyInAnyOrder("a.example.com", "b.example.com");
        assertThat(issued.keyPem()).contains("PRIVATE KEY");
        Duration life = Duration.between(issued.leaf().getNotBefore().toInstant(), issued.leaf().getNotAfter().toInstant());
        assertThat(life).isBetween(Duration.ofDays(6), Duration.ofDays(8));
    }

    @Test
    void aHostThatDoesNotResolveFailsWithTheCasWords() {
        AcmeTrust trust = AcmeTrust.of(pebble.caFile());

        assertThatThrownBy(() -> AcmeOrder.run(trust.session(pebble.directory()), account, "ops@portico.dev",
                List.of("unresolved.example.com"), null, this::publish, progress -> { }))
                .isInstanceOfSatisfying(AcmeFailure.class, failure -> {
                    assertThat(failure.reason()).isEqualTo(AcmeFailure.VALIDATION_FAILED);
                    assertThat(failure.getMessage()).contains("unresolved.example.com").contains("urn:ietf:params:acme:error:");
                });
    }

    @Test
    void aNameTheCaRefusesIsReportedInItsWords() {
        AcmeTrust trust = AcmeTrust.of(pebble.caFile());

        assertThatThrownBy(() -> AcmeOrder.run(trust.session(pebble.directory()), account, "ops@portico.dev",
                List.of(Pebble.BLOCKED), null, this::publish, progress -> { }))
                .isInstanceOfSatisfying(AcmeFailure.class, failure -> {
                    assertThat(failure.reason()).isEqualTo(AcmeFailure.CA_REFUSED);
                    assertThat(failure.getMessage()).startsWith("ordering a certificate for " + Pebble.BLOCKED)
                            .contains("urn:ietf:params:acme:error:rejectedIdentifier");
                });
    }

    @Test
    void aCaThatIsDownIsUnreachableAndOneNotTrustedIsRefusedByTls() {
        AcmeTrust jdkOnly = AcmeTrust.of(null);
        assertThatThrownBy(() -> AcmeOrder.run(jdkOnly.session(pebble.directory()), account, "ops@portico.dev",
                List.of("a.example.com"), null, this::publish, progress -> { }))
                .isInstanceOfSatisfying(AcmeFailure.class, failure -> {
                    assertThat(failure.reason()).isEqualTo(AcmeFailure.CA_UNREACHABLE);
                    assertThat(failure.getMessage()).contains("certification path");
                });

        pebble.stop();
        AcmeTrust trust = AcmeTrust.of(pebble.caFile());
        assertThatThrownBy(() -> AcmeOrder.run(trust.session(pebble.directory()), account, "ops@portico.dev",
                List.of("a.example.com"), null, this::publish, progress -> { }))
                .isInstanceOfSatisfying(AcmeFailure.class, failure -> {
                    assertThat(failure.reason()).isEqualTo(AcmeFailure.CA_UNREACHABLE);
                    assertThat(failure.getMessage()).startsWith("registering the account").contains("Connect");
                });
    }
}
