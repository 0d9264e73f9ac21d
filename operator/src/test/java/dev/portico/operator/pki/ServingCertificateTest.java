package dev.portico.operator.pki;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A pod's admin certificate: what is issued, and exactly when it must be issued again. */
class ServingCertificateTest {

    private static final Instant NOW = Instant.parse("2026-12-02T15:00:00Z");
    private static final Lifetimes LIFETIMES = Lifetimes.DEFAULT;
    private static final List<String> NAMES = List.of("vera-proxy.aidoo.svc", "vera-proxy.aidoo.svc.cluster.local");
    private static final AdminCa CA = AdminCa.create(NOW.minus(Duration.ofDays(1)), LIFETIMES);

    private static ServingCertificate issue(AdminCa ca, List<String> names, Instant at) {
        return ServingCertificate.of(ca.issuing().issue(names, at, LIFETIMES.serving()));
    }

    @Test
    void anIssuedCertificateNamesTheServiceForTlsServersOnlyAndChainsToTheCa() throws Exception {
        ServingCertificate issued = issue(CA, NAMES, NOW);
        X509Certificate leaf = issued.leaf();

        assertThat(ServingCertificate.dnsNames(leaf)).isEqualTo(NAMES);
        assertThat(leaf.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1");
        assertThat(leaf.getBasicConstraints()).isEqualTo(-1);
        assertThat(leaf.getNotAfter().toInstant()).isEqualTo(NOW.plus(Duration.ofDays(90)));
        assertThat(issued.chain()).containsExactly(leaf, CA.issuing().certificate());
        leaf.verify(CA.issuing().certificate().getPublicKey());
        // What the Secret holds reads back as the same certificate and key.
        ServingCertificate read = ServingCertificate.read(issued.chainPem(), issued.keyPem()).orElseThrow();
        assertThat(read.leaf()).isEqualTo(leaf);
        assertThat(ServingCertificate.reissueReason(read, CA, NAMES, NOW, LIFETIMES)).isNull();
    }

    @Test
    void aCertificateNeverOutlivesItsCa() {
        AdminCa shortCa = AdminCa.create(NOW, new Lifetimes(Duration.ofDays(10), Duration.ofDays(3)));

        ServingCertificate issued = issue(shortCa, NAMES, NOW);

        assertThat(issued.leaf().getNotAfter()).isEqualTo(shortCa.issuing().certificate().getNotAfter());
    }

    @Test
    void renewalIsDueTwoThirdsIntoItsLife() {
        ServingCertificate issued = issue(CA, NAMES, NOW);
        Instant due = ServingCertificate.renewAt(issued, LIFETIMES);

        // From its (back-dated) start, two thirds of the configured 90 days.
        assertThat(due).isEqualTo(NOW.minus(Duration.ofMinutes(5)).plus(Duration.ofDays(60)));
        assertThat(ServingCertificate.reissueReason(issued, CA, NAMES, due.minusSeconds(1), LIFETIMES)).isNull();
        assertThat(ServingCertificate.reissueReason(issued, CA, NAMES, due, LIFETIMES))
                .startsWith("two thirds of its life have passed");
    }

    @Test
    void everyOtherReasonToIssueAgainIsNamed() {
        ServingCertificate issued = issue(CA, NAMES, NOW);

        assertThat(ServingCertificate.reissueReason(null, CA, NAMES, NOW, LIFETIMES)).isEqualTo("none issued yet");
        assertThat(ServingCertificate.reissueReason(issue(CA, List.of("other-proxy.aidoo.svc"), NOW), CA, NAMES, NOW,
                LIFETIMES)).isEqualTo("it names [other-proxy.aidoo.svc], not " + NAMES);
        AdminCa stranger = AdminCa.create(NOW, LIFETIMES);
        assertThat(ServingCertificate.reissueReason(issue(stranger, NAMES, NOW), CA, NAMES, NOW, LIFETIMES))
                .isEqualTo("issued by another CA");
        AdminCa rotated = CA.rotated(NOW, LIFETIMES);
        assertThat(ServingCertificate.reissueReason(issued, rotated, NAMES, NOW, LIFETIMES))
                .isEqualTo("the admin CA is rotating");
        ServingCertificate otherKey = new ServingCertificate(issued.chain(), issue(CA, NAMES, NOW).key(),
                issued.chainPem(), issued.keyPem());
        assertThat(ServingCertificate.reissueReason(otherKey, CA, NAMES, NOW, LIFETIMES))
                .isEqualTo("its key does not belong to it");
    }

    @Test
    void whatCannotBeReadCountsAsNothing() {
        ServingCertificate issued = issue(CA, NAMES, NOW);

        assertThat(ServingCertificate.read(null, issued.keyPem())).isEmpty();
        assertThat(ServingCertificate.read(issued.chainPem(), "not a key")).isEmpty();
        assertThat(ServingCertificate.read("garbage", issued.keyPem())).isEmpty();
    }
}
