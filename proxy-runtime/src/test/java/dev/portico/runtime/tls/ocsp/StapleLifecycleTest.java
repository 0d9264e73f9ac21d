package dev.portico.runtime.tls.ocsp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.portico.crds.InvalidProxySiteException;
import dev.portico.crds.v1alpha1.Tls;
import dev.portico.crds.v1alpha1.TlsVersion;
import dev.portico.runtime.tls.SecretStore;
import dev.portico.runtime.tls.ServerTlsContexts;
import dev.portico.runtime.tls.TestCertificates;
import dev.portico.runtime.tls.TestCertificates.Issued;
import dev.portico.runtime.tls.TestCertificates.KeyFormat;
import dev.portico.runtime.tls.TestOcspResponder;
import dev.portico.runtime.tls.TestOcspResponder.Signing;
import dev.portico.runtime.tls.TlsCompiler;
import dev.portico.runtime.tls.TlsConfig;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which certificates are fetched for, as configs come and go through {@link TlsCompiler}:
 * a certificate starts fetching once a config holding it is accepted, keeps its staple
 * across reloads that do not change it, and stops being refreshed once rotated away.
 */
@Timeout(60)
class StapleLifecycleTest {

    static final TestCertificates.Ca CA = TestCertificates.newCa("Lifecycle CA");

    @TempDir
    Path secrets;
    TestOcspResponder responder;
    OcspStapling stapling;
    TlsCompiler compiler;

    @BeforeEach
    void start() {
        responder = TestOcspResponder.start(CA);
        // Answers valid for 4 s: refreshed about every second while a certificate serves.
        responder.signing(Signing.byCa(CA, Duration.ofSeconds(4)));
        stapling = new OcspStapling(ServerTlsContexts.staplingSupported(), OcspStaplingTest.FAST, Clock.systemUTC());
        compiler = new TlsCompiler(stapling);
    }

    @AfterEach
    void stop() {
        stapling.close();
        responder.close();
    }

    private Issued issue(String name) {
        Issued issued = CA.issue(TestCertificates.leaf(name).sans("localhost").ocspResponder(responder.url()));
        TestCertificates.write(secrets, "site-tls", issued, KeyFormat.PKCS8);
        return issued;
    }

    private TlsConfig compile(String... secretNames) {
        List<Tls.Certificate> certificates = java.util.Arrays.stream(secretNames)
                .map(name -> new Tls.Certificate(name, List.of())).toList();
        return compiler.compile(new Tls(certificates, TlsVersion.TLS_1_2, true, null), true,
                SecretStore.directory(secrets));
    }

    private long asked(BigInteger serial) {
        return responder.requestedSerials().stream().filter(serial::equals).count();
    }

    @Test
    void theProviderInUseCanStaple() {
        // Everything below relies on BoringSSL; if it stops loading, stapling is silently off.
        assertThat(ServerTlsContexts.staplingSupported()).isTrue();
    }

    @Test
    void aRotatedCertificateIsFetchedForAndTheOldOneNoLonger() {
        Issued v1 = issue("v1");
        OcspStaple first = compile("site-tls").entries().get(0).staple();
        await().atMost(Duration.ofSeconds(10)).until(() -> first.response() != null);

        // A reload that keeps the certificate keeps its staple: no new first fetch.
        assertThat(compile("site-tls").entries().get(0).staple()).isSameAs(first);

        Issued v2 = issue("v2");
        OcspStaple second = compile("site-tls").entries().get(0).staple();

        assertThat(second).isNotSameAs(first);
        assertThat(first.stopped()).isTrue();
        await().atMost(Duration.ofSeconds(10)).until(() -> second.response() != null);
        byte[] stapled = second.response();
        assertThat(stapled).isNotNull();
        assertThat(TestOcspResponder.parse(stapled).getResponses()[0].getCertID().getSerialNumber())
                .isEqualTo(v2.leaf().getSerialNumber());
        // v2 keeps being refreshed while v1 is asked about no more.
        long v1Asked = asked(v1.leaf().getSerialNumber());
        long v2Asked = asked(v2.leaf().getSerialNumber());
        await().atMost(Duration.ofSeconds(10)).until(() -> asked(v2.leaf().getSerialNumber()) >= v2Asked + 3);
        assertThat(asked(v1.leaf().getSerialNumber())).isLessThanOrEqualTo(v1Asked + 1);
    }

    @Test
    void aRejectedConfigStartsNoFetching() {
        issue("v1");
        TestCertificates.write(secrets, "other-tls", CA.issue(TestCertificates.leaf("other").sans("localhost")
                .ocspResponder(responder.url())), KeyFormat.PKCS8);
        TestCertificates.writeRaw(secrets, "broken-tls", "not a certificate\n", "not a key\n");

        assertThatThrownBy(() -> compile("site-tls", "other-tls", "broken-tls"))
                .isInstanceOf(InvalidProxySiteException.class);

        assertThat(stapling.idle()).isTrue();
        assertThat(responder.requestedSerials()).isEmpty();
    }

    @Test
    void droppingTlsStopsEveryRefresh() {
        issue("v1");
        OcspStaple staple = compile("site-tls").entries().get(0).staple();
        await().atMost(Duration.ofSeconds(10)).until(() -> staple.response() != null);

        compiler.release();

        assertThat(staple.stopped()).isTrue();
        await().atMost(Duration.ofSeconds(5)).until(stapling::idle);
    }
}
