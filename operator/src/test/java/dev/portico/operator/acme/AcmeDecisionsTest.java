package dev.portico.operator.acme;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.operator.pki.Authority;
import dev.portico.operator.pki.Placeholder;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pure decisions of the ACME client: when to renew, when to retry, whether to order. */
class AcmeDecisionsTest {

    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final Instant END = T0.plus(Duration.ofDays(90));

    @Test
    void renewalIsTwoThirdsIntoTheLifeWithoutRenewalInfo() {
        assertThat(RenewalTime.of(T0, END, null, 0.5)).isEqualTo(T0.plus(Duration.ofDays(60)));
    }

    @Test
    void aRenewalInfoWindowBeforeTwoThirdsBringsRenewalForwardSpreadWithinIt() {
        RenewalTime.Window early = new RenewalTime.Window(T0.plus(Duration.ofDays(10)), T0.plus(Duration.ofDays(12)));

        assertThat(RenewalTime.of(T0, END, early, 0)).isEqualTo(T0.plus(Duration.ofDays(10)));
        assertThat(RenewalTime.of(T0, END, early, 0.5)).isEqualTo(T0.plus(Duration.ofDays(11)));
        assertThat(RenewalTime.of(T0, END, early, 1.5)).isBefore(T0.plus(Duration.ofDays(12)));
    }

    @Test
    void aRenewalInfoWindowAfterTwoThirdsDoesNotDelayRenewal() {
        RenewalTime.Window late = new RenewalTime.Window(T0.plus(Duration.ofDays(70)), T0.plus(Duration.ofDays(80)));
        RenewalTime.Window empty = new RenewalTime.Window(T0.plus(Duration.ofDays(5)), T0.plus(Duration.ofDays(5)));

        assertThat(RenewalTime.of(T0, END, late, 0.1)).isEqualTo(T0.plus(Duration.ofDays(60)));
        assertThat(RenewalTime.of(T0, END, empty, 0.1)).isEqualTo(T0.plus(Duration.ofDays(60)));
    }

    @Test
    void backoffDoublesFromAMinuteUpToSixHours() {
        assertThat(Backoff.next(T0, 1, null)).isEqualTo(T0.plus(Duration.ofMinutes(1)));
        assertThat(Backoff.next(T0, 2, null)).isEqualTo(T0.plus(Duration.ofMinutes(2)));
        assertThat(Backoff.next(T0, 5, null)).isEqualTo(T0.plus(Duration.ofMinutes(16)));
        assertThat(Backoff.next(T0, 9, null)).isEqualTo(T0.plus(Duration.ofMinutes(256)));
        assertThat(Backoff.next(T0, 10, null)).isEqualTo(T0.plus(Duration.ofHours(6)));
        assertThat(Backoff.next(T0, 1000, null)).isEqualTo(T0.plus(Duration.ofHours(6)));
    }

    @Test
    void theCasRetryAfterWinsWhenLaterNeverWhenSooner() {
        Instant rateLimitEnds = T0.plus(Duration.ofHours(30));

        assertThat(Backoff.next(T0, 1, rateLimitEnds)).isEqualTo(rateLimitEnds);
        assertThat(Backoff.next(T0, 3, T0.plusSeconds(5))).isEqualTo(T0.plus(Duration.ofMinutes(4)));
    }

    @Test
    void anOrderIsDueWithoutACertificateForAMissingHostWhenExpiredOrDue() {
        Instant now = Instant.now();
        Authority ca = Authority.create(now.minus(Duration.ofDays(1)), Duration.ofDays(400));
        X509Certificate leaf = ca.issue(List.of("a.example.com", "b.example.com"), now.minus(Duration.ofHours(1)),
                Duration.ofDays(90)).leaf();
        Instant renewAt = now.plus(Duration.ofDays(59));

        assertThat(OrderDecision.due(null, List.of("a.example.com"), null, now)).isEqualTo("no certificate yet");
        assertThat(OrderDecision.due(leaf, List.of("a.example.com", "B.example.com"), renewAt, now)).isNull();
        assertThat(OrderDecision.due(leaf, List.of("a.example.com"), renewAt, now)).as("a subset is covered").isNull();
        assertThat(OrderDecision.due(leaf, List.of("a.example.com", "c.example.com"), renewAt, now))
                .isEqualTo("the certificate does not cover c.example.com");
        assertThat(OrderDecision.due(leaf, List.of("a.example.com"), now.minusSeconds(1), now)).startsWith("renewal due");
        assertThat(OrderDecision.due(leaf, List.of("a.example.com"), renewAt, now.plus(Duration.ofDays(100))))
                .startsWith("the certificate expired");
    }

    @Test
    void anAccountKeyComesBackFromItsPem() throws Exception {
        java.security.KeyPair keys = AcmeTrust.newKeyPair();

        java.security.KeyPair read = AcmeSecrets.read(AcmeSecrets.write(keys));

        assertThat(read.getPrivate().getEncoded()).isEqualTo(keys.getPrivate().getEncoded());
        assertThat(read.getPublic().getEncoded()).isEqualTo(keys.getPublic().getEncoded());
        assertThat(read.getPrivate().getAlgorithm()).isEqualTo("EC");
    }

    @Test
    void aPlaceholderIsReusedWhileItNamesTheSameHostsAndIsNotNearItsEnd() {
        Authority.Issued placeholder = Placeholder.issue(List.of("a.example.com", "*.b.example.com"), T0);

        assertThat(Placeholder.is(placeholder.leaf())).isTrue();
        assertThat(Placeholder.reusable(placeholder.chainPem(), List.of("*.b.example.com", "a.example.com"),
                T0.plus(Duration.ofDays(1)))).isTrue();
        assertThat(Placeholder.reusable(placeholder.chainPem(), List.of("a.example.com"), T0)).isFalse();
        assertThat(Placeholder.reusable(placeholder.chainPem(), List.of("a.example.com", "*.b.example.com"),
                T0.plus(Duration.ofDays(61)))).as("within 30 days of its end").isFalse();
        Authority ca = Authority.create(T0, Duration.ofDays(400));
        assertThat(Placeholder.reusable(ca.issue(List.of("a.example.com"), T0, Duration.ofDays(90)).chainPem(),
                List.of("a.example.com"), T0)).as("a real certificate").isFalse();
        assertThat(Placeholder.reusable(null, List.of("a.example.com"), T0)).isFalse();
    }
}
