package dev.portico.runtime.tls.ocsp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portico.runtime.tls.TestCertificates;
import dev.portico.runtime.tls.TestCertificates.Issued;
import dev.portico.runtime.tls.TestOcspResponder;
import dev.portico.runtime.tls.TestOcspResponder.Answer;
import dev.portico.runtime.tls.TestOcspResponder.Signing;
import dev.portico.runtime.tls.ocsp.OcspResponseCheck.InvalidOcspResponseException;
import dev.portico.runtime.tls.ocsp.OcspResponseCheck.Verified;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What may be stapled: the checks a client makes on a stapled response, made before stapling it. */
class OcspResponseCheckTest {

    static TestCertificates.Ca ca;
    static Issued leaf;
    static OcspSource source;
    static CertificateID id;
    static final Instant NOW = Instant.now();

    @BeforeAll
    static void certificates() throws Exception {
        ca = TestCertificates.newCa("OCSP Check CA");
        leaf = ca.issue(TestCertificates.leaf("site").sans("localhost").ocspResponder("http://127.0.0.1:1/ocsp"));
        source = OcspSource.of(leaf.chain());
        id = TestOcspResponder.idOf(leaf.leaf(), ca.certificate());
    }

    private static byte[] answer(Answer answer, Signing signing) {
        return TestOcspResponder.encode(id, answer, signing, NOW);
    }

    private static Signing byCa(Duration validity) {
        return Signing.byCa(ca, validity);
    }

    @Test
    void aGoodAnswerSignedByTheIssuerIsStapled() throws Exception {
        Verified verified = OcspResponseCheck.verify(answer(Answer.GOOD, byCa(Duration.ofHours(4))), source, NOW);

        assertThat(verified.revoked()).isFalse();
        assertThat(verified.thisUpdate()).isBefore(NOW);
        assertThat(verified.nextUpdate()).isAfter(NOW.plus(Duration.ofHours(3)));
    }

    @Test
    void aRevokedAnswerIsStapledAsRevoked() throws Exception {
        Verified verified = OcspResponseCheck.verify(answer(Answer.REVOKED, byCa(Duration.ofHours(4))), source, NOW);

        assertThat(verified.revoked()).isTrue();
        assertThat(verified.revokedAt()).isBefore(NOW);
    }

    @Test
    void anAnswerWithoutNextUpdateIsAccepted() throws Exception {
        assertThat(OcspResponseCheck.verify(answer(Answer.GOOD, byCa(null)), source, NOW).nextUpdate()).isNull();
    }

    @Test
    void aDelegatedResponderCertifiedForOcspSigningMaySign() throws Exception {
        Issued delegate = ca.issueResponder("OCSP Responder", KeyPurposeId.id_kp_OCSPSigning);

        Verified verified = OcspResponseCheck.verify(
                answer(Answer.GOOD, Signing.byDelegate(delegate, Duration.ofHours(1))), source, NOW);

        assertThat(verified.revoked()).isFalse();
    }

    @Test
    void aDelegateWithoutTheOcspSigningPurposeMayNot() {
        Issued delegate = ca.issueResponder("Just a server", KeyPurposeId.id_kp_serverAuth);

        assertRefused(answer(Answer.GOOD, Signing.byDelegate(delegate, Duration.ofHours(1))), "signed neither");
    }

    @Test
    void anotherCaMayNotSign() {
        TestCertificates.Ca other = TestCertificates.newCa("Other CA");

        assertRefused(answer(Answer.GOOD, Signing.byCa(other, Duration.ofHours(1))), "signed neither");
        // Nor a responder certified by that other CA.
        Issued foreignDelegate = other.issueResponder("Foreign responder", KeyPurposeId.id_kp_OCSPSigning);
        assertRefused(answer(Answer.GOOD, Signing.byDelegate(foreignDelegate, Duration.ofHours(1))),
                "signed neither");
    }

    @Test
    void anAnswerAboutAnotherCertificateIsRefused() {
        Issued other = ca.issue(TestCertificates.leaf("other").sans("localhost"));
        byte[] aboutOther = TestOcspResponder.encode(TestOcspResponder.idOf(other.leaf(), ca.certificate()),
                Answer.GOOD, byCa(Duration.ofHours(1)), NOW);

        assertRefused(aboutOther, "no answer about certificate serial");
    }

    @Test
    void anExpiredAnswerIsRefused() {
        byte[] old = TestOcspResponder.encode(id, Answer.GOOD, byCa(Duration.ofHours(1)),
                NOW.minus(Duration.ofHours(2)));

        assertRefused(old, "expired");
    }

    @Test
    void anAnswerFromTheFutureIsRefusedBeyondClockSkew() throws Exception {
        byte[] early = TestOcspResponder.encode(id, Answer.GOOD, byCa(Duration.ofHours(1)),
                NOW.plus(Duration.ofMinutes(10)));
        byte[] slightlyEarly = TestOcspResponder.encode(id, Answer.GOOD, byCa(Duration.ofHours(1)),
                NOW.plus(Duration.ofMinutes(2)));

        assertRefused(early, "in the future");
        assertThat(OcspResponseCheck.verify(slightlyEarly, source, NOW).revoked()).isFalse();
    }

    @Test
    void unknownStatusIsRefused() {
        assertRefused(answer(Answer.UNKNOWN, byCa(Duration.ofHours(1))), "does not know the certificate");
    }

    @Test
    void anUnsuccessfulResponseIsRefused() {
        assertRefused(answer(Answer.TRY_LATER, byCa(Duration.ofHours(1))), "tryLater");
    }

    @Test
    void bytesThatAreNoOcspResponseAreRefused() {
        assertRefused("<html>moved</html>".getBytes(), "not an OCSP response");
        assertRefused(new byte[0], "not an OCSP response");
        byte[] good = answer(Answer.GOOD, byCa(Duration.ofHours(1)));
        assertRefused(Arrays.copyOf(good, good.length + 3), "not an OCSP response");
        assertRefused(Arrays.copyOf(good, good.length - 10), "not an OCSP response");
    }

    @Test
    void aTamperedAnswerIsRefused() {
        byte[] tampered = answer(Answer.GOOD, byCa(Duration.ofHours(1)));
        // The last bytes are the signature's; flipping one breaks it without breaking the encoding.
        tampered[tampered.length - 5] ^= 0x01;

        assertRefused(tampered, "signed neither");
    }

    private static void assertRefused(byte[] response, String why) {
        assertThatThrownBy(() -> OcspResponseCheck.verify(response, source, NOW))
                .isInstanceOf(InvalidOcspResponseException.class)
                .hasMessageContaining(why);
    }
}
