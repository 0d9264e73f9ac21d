package dev.portico.runtime.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portico.runtime.tls.TestCertificates.Issued;
import dev.portico.runtime.tls.TestCertificates.KeyFormat;
import dev.portico.runtime.tls.TestCertificates.KeyType;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Loading a mounted TLS secret: every key form cert-manager writes, and every way a pair can be broken. */
class CertificatePairTest {

    static TestCertificates.Ca ca;
    @TempDir
    Path secrets;

    @BeforeAll
    static void createCa() {
        ca = TestCertificates.newCa("Portico Test CA");
    }

    @ParameterizedTest(name = "{0} key as {1}")
    @CsvSource({"RSA, PKCS8, PRIVATE KEY", "RSA, TRADITIONAL, RSA PRIVATE KEY",
            "EC, PKCS8, PRIVATE KEY", "EC, TRADITIONAL, EC PRIVATE KEY",
            "EC, SEC1_WITHOUT_PUBLIC_KEY, EC PRIVATE KEY"})
    void everyKeyFormLoads(KeyType type, KeyFormat format, String pemLabel) throws Exception {
        Issued issued = ca.issue(TestCertificates.leaf("app.example.com").sans("app.example.com").keyType(type));
        TestCertificates.write(secrets, "app-tls", issued, format);
        assertThat(Files.readString(secrets.resolve("app-tls/tls.key")))
                .startsWith("-----BEGIN " + pemLabel + "-----");

        CertificatePair pair = CertificatePair.load(secrets, "app-tls");

        assertThat(pair.secretName()).isEqualTo("app-tls");
        assertThat(pair.leaf()).isEqualTo(issued.leaf());
        assertThat(pair.chain()).containsExactly(issued.leaf(), ca.certificate());
        assertThat(pair.key().getAlgorithm()).isEqualTo(type == KeyType.RSA ? "RSA" : "EC");
    }

    @Test
    void selfSignedCertificateLoads() throws Exception {
        Issued issued = TestCertificates.selfSigned(TestCertificates.leaf("self.example.com").ec());
        TestCertificates.write(secrets, "self", issued, KeyFormat.PKCS8);

        assertThat(CertificatePair.load(secrets, "self").chain()).hasSize(1);
    }

    @Test
    void keyOfAnotherCertificateIsRefused() {
        Issued a = ca.issue(TestCertificates.leaf("a.example.com"));
        Issued b = ca.issue(TestCertificates.leaf("b.example.com"));
        TestCertificates.write(secrets, "mixed-tls", a.withKeyOf(b), KeyFormat.TRADITIONAL);

        assertRefused("mixed-tls", "does not belong");
    }

    @Test
    void keyOfAnotherAlgorithmIsRefused() {
        Issued rsa = ca.issue(TestCertificates.leaf("a.example.com"));
        Issued ec = ca.issue(TestCertificates.leaf("a.example.com").ec());
        TestCertificates.write(secrets, "algo-tls", rsa.withKeyOf(ec), KeyFormat.PKCS8);

        assertRefused("algo-tls", "does not belong");
    }

    @Test
    void expiredCertificateIsRefused() {
        TestCertificates.write(secrets, "old-tls", ca.issue(TestCertificates.leaf("a.example.com").expired()),
                KeyFormat.PKCS8);

        assertRefused("old-tls", "expired");
    }

    @Test
    void notYetValidCertificateIsRefused() {
        TestCertificates.write(secrets, "early-tls", ca.issue(TestCertificates.leaf("a.example.com").notYetValid()),
                KeyFormat.PKCS8);

        assertRefused("early-tls", "not valid before");
    }

    @Test
    void garbageCertificateIsRefused() {
        Issued issued = ca.issue(TestCertificates.leaf("a.example.com"));
        TestCertificates.writeRaw(secrets, "junk-crt", "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n"
                + "-----END CERTIFICATE-----\n", TestCertificates.keyPem(issued.key(), KeyFormat.PKCS8));

        assertRefused("junk-crt", "tls.crt");
    }

    @Test
    void emptyCertificateFileIsRefused() {
        Issued issued = ca.issue(TestCertificates.leaf("a.example.com"));
        TestCertificates.writeRaw(secrets, "empty-crt", "", TestCertificates.keyPem(issued.key(), KeyFormat.PKCS8));

        assertRefused("empty-crt", "tls.crt");
    }

    @Test
    void garbageKeyIsRefused() {
        Issued issued = ca.issue(TestCertificates.leaf("a.example.com"));
        TestCertificates.writeRaw(secrets, "junk-key", TestCertificates.certificatePem(issued.chain()),
                "-----BEGIN PRIVATE KEY-----\n!!!not base64!!!\n-----END PRIVATE KEY-----\n");

        assertRefused("junk-key", "tls.key");
    }

    @Test
    void keyFileWithoutAKeyIsRefused() {
        Issued issued = ca.issue(TestCertificates.leaf("a.example.com"));
        String pem = TestCertificates.certificatePem(issued.chain());
        TestCertificates.writeRaw(secrets, "cert-as-key", pem, pem);

        assertRefused("cert-as-key", "tls.key");
    }

    @Test
    void missingFilesAreRefused() throws Exception {
        Issued issued = ca.issue(TestCertificates.leaf("a.example.com"));
        Files.createDirectories(secrets.resolve("only-crt"));
        Files.writeString(secrets.resolve("only-crt/tls.crt"), TestCertificates.certificatePem(issued.chain()));

        assertRefused("only-crt", "missing");
        assertRefused("no-such-secret", "missing");
    }

    private void assertRefused(String secret, String reason) {
        assertThatThrownBy(() -> CertificatePair.load(secrets, secret))
                .isInstanceOf(CertificatePair.InvalidCertificateException.class)
                .hasMessageContaining("secret " + secret)
                .hasMessageContaining(reason);
    }
}
