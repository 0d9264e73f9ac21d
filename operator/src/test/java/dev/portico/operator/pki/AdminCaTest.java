package dev.portico.operator.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The admin CA's own decisions: what it is, how it is kept, when it rotates, what it trusts meanwhile. */
class AdminCaTest {

    private static final Instant NOW = Instant.parse("2026-12-02T15:00:00Z");
    private static final Lifetimes LIFETIMES = Lifetimes.DEFAULT;

    @Test
    void aNewCaIsAnEcdsaP256CaValidForItsLifetime() {
        AdminCa ca = AdminCa.create(NOW, LIFETIMES);
        X509Certificate certificate = ca.issuing().certificate();

        assertThat(certificate.getPublicKey()).isInstanceOf(ECPublicKey.class);
        assertThat(((ECPublicKey) certificate.getPublicKey()).getParams().getCurve().getField().getFieldSize())
                .isEqualTo(256);
        assertThat(certificate.getBasicConstraints()).isEqualTo(0); // a CA, no intermediates below it
        assertThat(certificate.getKeyUsage()[5]).as("keyCertSign").isTrue();
        assertThat(certificate.getNotAfter().toInstant()).isEqualTo(NOW.plus(Duration.ofDays(365)));
        assertThat(certificate.getNotBefore().toInstant()).isEqualTo(NOW.minus(Duration.ofMinutes(5)));
        assertThat(certificate.getSubjectX500Principal()).isEqualTo(certificate.getIssuerX500Principal());
        assertThat(ca.trusted()).containsExactly(certificate);
        assertThat(ca.rotating()).isFalse();
    }

    @Test
    void theSecretDataRoundTripsAndABrokenOneIsNamed() {
        AdminCa ca = AdminCa.create(NOW, LIFETIMES).rotated(NOW.plusSeconds(1), LIFETIMES);

        AdminCa read = AdminCa.fromData(ca.data());

        assertThat(read.issuing().certificate()).isEqualTo(ca.issuing().certificate());
        assertThat(read.issuing().key().getEncoded()).isEqualTo(ca.issuing().key().getEncoded());
        assertThat(read.previous()).isEqualTo(ca.previous());

        Map<String, String> noKey = new HashMap<>(ca.data());
        noKey.remove(AdminCa.CA_KEY);
        assertThatThrownBy(() -> AdminCa.fromData(noKey)).hasMessage("ca.key: is missing");

        Map<String, String> otherKey = new HashMap<>(ca.data());
        otherKey.put(AdminCa.CA_KEY, AdminCa.create(NOW, LIFETIMES).data().get(AdminCa.CA_KEY));
        assertThatThrownBy(() -> AdminCa.fromData(otherKey)).hasMessage("ca.key: does not belong to ca.crt");

        Map<String, String> garbage = new HashMap<>(ca.data());
        garbage.put(AdminCa.CA_CERTIFICATE, "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n");
        assertThatThrownBy(() -> AdminCa.fromData(garbage)).hasMessageStartingWith("ca.crt: ");
    }

    @Test
    void rotationIsDueTwoThirdsIntoTheCasLife() {
        AdminCa ca = AdminCa.create(NOW, LIFETIMES);
        Instant notBefore = ca.issuing().certificate().getNotBefore().toInstant();
        // Two thirds of the configured 365 days (the certificate's own life is 5 minutes longer: it is back-dated).
        Instant due = notBefore.plus(Duration.ofDays(365).multipliedBy(2).dividedBy(3));

        assertThat(ca.rotateAt(LIFETIMES)).isEqualTo(due);
        assertThat(ca.rotationDue(due.minusSeconds(1), LIFETIMES)).isFalse();
        assertThat(ca.rotationDue(due, LIFETIMES)).isTrue();
    }

    @Test
    void aShorterConfiguredLifetimeBringsRotationForward() {
        AdminCa ca = AdminCa.create(NOW, LIFETIMES);
        Lifetimes shorter = new Lifetimes(Duration.ofDays(30), Duration.ofDays(9));

        assertThat(ca.rotateAt(shorter)).isEqualTo(ca.issuing().certificate().getNotBefore().toInstant()
                .plus(Duration.ofDays(20)));
    }

    @Test
    void aCaThatCanNoLongerIssueAFullLengthCertificateIsDueAtOnce() {
        // Made while the lifetimes were seconds (a test, or an admin trying them out), then read
        // by an operator configured for the defaults: its certificates would be cut short at its
        // end and due for renewal as soon as issued, so the CA itself goes first.
        Lifetimes seconds = new Lifetimes(Duration.ofSeconds(90), Duration.ofSeconds(30));
        AdminCa ca = AdminCa.create(NOW, seconds);

        assertThat(ca.rotationDue(NOW, seconds)).isFalse();
        assertThat(ca.rotationDue(NOW, LIFETIMES)).isTrue();
        // Under its own setting, two thirds of its life come before its last full-length certificate.
        assertThat(ca.rotateAt(seconds)).isEqualTo(NOW.minusSeconds(9).plusSeconds(60));
    }

    @Test
    void certificatesMayLiveAtMostAThirdOfTheCasLife() {
        assertThat(new Lifetimes(Duration.ofSeconds(90), Duration.ofSeconds(30)).serving()).hasSeconds(30);
        assertThatThrownBy(() -> new Lifetimes(Duration.ofDays(200), Duration.ofDays(90)))
                .hasMessage("the admin certificates' lifetime (PT2160H) must be at most a third of the admin CA's (PT4800H)");
        assertThatThrownBy(() -> new Lifetimes(Duration.ZERO, Duration.ofDays(90)))
                .hasMessageStartingWith("lifetimes must be positive");
    }

    @Test
    void aRotationTrustsOldAndNewUntilTheOldIsRetired() {
        AdminCa before = AdminCa.create(NOW, LIFETIMES);
        AdminCa rotating = before.rotated(NOW.plus(Duration.ofDays(250)), LIFETIMES);

        assertThat(rotating.rotating()).isTrue();
        assertThat(rotating.issuing().certificate()).isNotEqualTo(before.issuing().certificate());
        assertThat(rotating.issuing().certificate().getSubjectX500Principal())
                .isNotEqualTo(before.issuing().certificate().getSubjectX500Principal());
        assertThat(rotating.trusted()).containsExactly(rotating.issuing().certificate(), before.issuing().certificate());
        assertThat(rotating.data()).containsKey(AdminCa.PREVIOUS_CERTIFICATE);

        AdminCa retired = rotating.retired();
        assertThat(retired.trusted()).containsExactly(rotating.issuing().certificate());
        assertThat(retired.data()).doesNotContainKey(AdminCa.PREVIOUS_CERTIFICATE);
        assertThat(retired.rotationDue(NOW.plus(Duration.ofDays(251)), LIFETIMES)).isFalse();
    }

    @Test
    void aRotationBeforeTheLastOneRetiredDropsTheOneBeforeLast() {
        AdminCa first = AdminCa.create(NOW, LIFETIMES);
        AdminCa second = first.rotated(NOW.plusSeconds(10), LIFETIMES);
        AdminCa third = second.rotated(NOW.plusSeconds(20), LIFETIMES);

        assertThat(third.trusted()).containsExactly(third.issuing().certificate(), second.issuing().certificate());
    }
}
