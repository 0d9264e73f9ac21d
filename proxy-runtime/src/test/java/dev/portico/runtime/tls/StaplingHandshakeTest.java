package dev.portico.runtime.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.portico.crds.bundle.BundleFiles;
import dev.portico.crds.bundle.ConfigPush;
import dev.portico.runtime.testing.FreePorts;
import dev.portico.runtime.testing.MountedBundle;
import dev.portico.runtime.testing.RawHttpClient;
import dev.portico.runtime.testing.RunningProxy;
import dev.portico.runtime.testing.TestBackend;
import dev.portico.runtime.tls.TestCertificates.Issued;
import dev.portico.runtime.tls.TestCertificates.KeyFormat;
import dev.portico.runtime.tls.TestOcspResponder.Answer;
import dev.portico.runtime.tls.TlsClients.Options;
import dev.portico.runtime.tls.TlsClients.StapledHandshake;
import dev.portico.runtime.tls.ocsp.OcspStapling;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import javax.net.ssl.SSLSocket;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.SingleResp;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * OCSP stapling end to end: the runtime fetches its certificate's status from a responder
 * on loopback and a BoringSSL client asking for it (status_request) gets it in the
 * handshake; a responder that is down or answers garbage costs the staple, never the
 * handshake; a rotated certificate gets its own staple, whether from a file or a push.
 */
@Timeout(60)
class StaplingHandshakeTest {

    static TestCertificates.Ca ca;
    @TempDir
    Path dir;
    Path secrets;
    TestOcspResponder responder;
    TestBackend backend;
    RunningProxy proxy;
    ListAppender<ILoggingEvent> log;

    @BeforeAll
    static void certificateAuthority() {
        ca = TestCertificates.newCa("Stapling Handshake CA");
    }

    @BeforeEach
    void start() {
        secrets = dir.resolve("secrets");
        responder = TestOcspResponder.start(ca);
        backend = TestBackend.start("app");
        log = new ListAppender<>();
        log.start();
        ((Logger) LoggerFactory.getLogger(OcspStapling.class)).addAppender(log);
    }

    @AfterEach
    void stop() {
        ((Logger) LoggerFactory.getLogger(OcspStapling.class)).detachAppender(log);
        if (proxy != null) {
            proxy.close();
        }
        backend.close();
        responder.close();
    }

    private Issued leaf(String name, String ocspUrl) {
        TestCertificates.Spec spec = TestCertificates.leaf(name).sans("localhost", "127.0.0.1");
        return ca.issue(ocspUrl == null ? spec : spec.ocspResponder(ocspUrl));
    }

    private void serve(Issued issued) {
        TestCertificates.write(secrets, "site-tls", issued, KeyFormat.PKCS8);
        proxy = RunningProxy.start(dir, """
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: stapling, generation: 1}
                spec:
                  hosts: ["localhost"]
                  tls:
                    certificates: [{secretName: site-tls}]
                  routes:
                    - match: {path: {value: /}}
                      backend: {service: 127.0.0.1, port: %d}
                """.formatted(backend.port()));
    }

    private StapledHandshake handshake() throws Exception {
        return TlsClients.stapledHandshake(ca, proxy.runtime().httpsPort(), "localhost");
    }

    private boolean logged(Level level, String text) {
        return log.list.stream().anyMatch(e -> e.getLevel() == level && e.getFormattedMessage().contains(text));
    }

    private void assertRequestsStillServed() throws Exception {
        try (SSLSocket socket = TlsClients.handshake(ca.clientContext(), proxy.runtime().httpsPort(),
                Options.sni("localhost"))) {
            assertThat(TlsClients.request(socket, "localhost", "/x", "Connection: close").bodyText())
                    .isEqualTo("ok app GET /x");
        }
    }

    private String metrics() throws Exception {
        try (RawHttpClient admin = RawHttpClient.connect(proxy.adminPort())) {
            admin.send("GET /metrics HTTP/1.1\r\nHost: admin\r\nConnection: close\r\n\r\n");
            return admin.readResponse().bodyText();
        }
    }

    @Test
    void aClientAskingForTheStatusGetsAGoodResponseAboutTheLeafSignedByTheIssuer() throws Exception {
        Issued issued = leaf("stapled", responder.url());
        serve(issued);

        await().atMost(Duration.ofSeconds(10)).until(() -> handshake().stapled());

        StapledHandshake handshake = handshake();
        assertThat(handshake.subject()).isEqualTo("CN=stapled");
        BasicOCSPResp response = TestOcspResponder.parse(handshake.ocspResponse());
        assertThat(response.isSignatureValid(new JcaContentVerifierProviderBuilder().build(ca.certificate()
                .getPublicKey()))).isTrue();
        assertThat(response.getResponses()).singleElement().satisfies((SingleResp single) -> {
            assertThat(single.getCertID().getSerialNumber()).isEqualTo(issued.leaf().getSerialNumber());
            assertThat(single.getCertStatus()).as("GOOD, which Bouncy Castle represents as null").isNull();
        });
        assertThat(responder.requestedSerials()).contains(issued.leaf().getSerialNumber());
        assertRequestsStillServed();
        assertThat(metrics()).containsPattern("portico_tls_ocsp_fetches_total\\{result=\"stapled\"} [1-9]");
    }

    @Test
    void aResponderThatIsDownCostsTheStapleNotTheHandshake() throws Exception {
        serve(leaf("unreachable", "http://127.0.0.1:" + FreePorts.next() + "/ocsp"));

        await().atMost(Duration.ofSeconds(10)).until(() -> logged(Level.WARN, "cannot fetch the OCSP response"));

        StapledHandshake handshake = handshake();
        assertThat(handshake.subject()).isEqualTo("CN=unreachable");
        assertThat(handshake.stapled()).isFalse();
        assertRequestsStillServed();
        assertThat(metrics()).containsPattern("portico_tls_ocsp_fetches_total\\{result=\"failed\"} [1-9]");
    }

    @Test
    void aResponderAnsweringGarbageIsLoggedAndNothingIsStapled() throws Exception {
        responder.answer(Answer.GARBAGE);
        serve(leaf("garbage", responder.url()));

        await().atMost(Duration.ofSeconds(10)).until(() -> logged(Level.ERROR, "not an OCSP response"));

        assertThat(handshake().stapled()).isFalse();
        assertRequestsStillServed();
    }

    @Test
    void aCertificateWithoutResponderIsServedWithoutStapleAndWithoutFetching() throws Exception {
        serve(leaf("plain", null));

        assertThat(logged(Level.INFO, "secret site-tls: no OCSP stapling")).isTrue();
        StapledHandshake handshake = handshake();
        assertThat(handshake.subject()).isEqualTo("CN=plain");
        assertThat(handshake.stapled()).isFalse();
        assertRequestsStillServed();
        assertThat(responder.requestedSerials()).isEmpty();
    }

    @Test
    void eachCertificateChosenBySniGetsItsOwnStaple() throws Exception {
        Issued a = ca.issue(TestCertificates.leaf("a").sans("a.test").ocspResponder(responder.url()));
        Issued b = ca.issue(TestCertificates.leaf("b").sans("b.test").ocspResponder(responder.url()));
        TestCertificates.write(secrets, "a-tls", a, KeyFormat.PKCS8);
        TestCertificates.write(secrets, "b-tls", b, KeyFormat.PKCS8);
        proxy = RunningProxy.start(dir, """
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: two-certificates, generation: 1}
                spec:
                  hosts: ["a.test", "b.test"]
                  tls:
                    certificates:
                      - {secretName: a-tls, hosts: ["a.test"]}
                      - {secretName: b-tls, hosts: ["b.test"]}
                  routes:
                    - match: {path: {value: /}}
                      backend: {service: 127.0.0.1, port: %d}
                """.formatted(backend.port()));
        int port = proxy.runtime().httpsPort();

        for (var served : Map.of("a.test", a, "b.test", b).entrySet()) {
            String name = served.getKey();
            Issued issued = served.getValue();
            await().atMost(Duration.ofSeconds(10)).until(() -> TlsClients.stapledHandshake(ca, port, name).stapled());
            StapledHandshake handshake = TlsClients.stapledHandshake(ca, port, name);
            assertThat(handshake.subject()).isEqualTo(issued.leaf().getSubjectX500Principal().getName());
            assertThat(TestOcspResponder.parse(handshake.ocspResponse()).getResponses()[0].getCertID()
                    .getSerialNumber()).isEqualTo(issued.leaf().getSerialNumber());
        }
    }

    @Test
    void aCertificatePushedToTheAdminPortIsStapledToo() throws Exception {
        Issued v1 = leaf("pushed-v1", responder.url());
        MountedBundle mounted = MountedBundle.mount(dir.resolve("mount"), bundleFiles(v1), 1);
        proxy = RunningProxy.start(mounted, Files.writeString(dir.resolve("token"), "stapling-token"));
        await().atMost(Duration.ofSeconds(10)).until(() -> handshake().stapled());

        Issued v2 = leaf("pushed-v2", responder.url());
        assertThat(proxy.admin().push(ConfigPush.of(2, bundleFiles(v2)), "stapling-token").status()).isEqualTo(200);

        await().atMost(Duration.ofSeconds(10)).until(() -> {
            StapledHandshake handshake = handshake();
            return handshake.subject().equals("CN=pushed-v2") && handshake.stapled();
        });
        assertThat(TestOcspResponder.parse(handshake().ocspResponse()).getResponses()[0].getCertID()
                .getSerialNumber()).isEqualTo(v2.leaf().getSerialNumber());
    }

    private Map<String, String> bundleFiles(Issued certificate) {
        Map<String, String> files = new TreeMap<>();
        files.put(BundleFiles.SITE_FILE, """
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: pushed-stapling}
                spec:
                  hosts: ["localhost"]
                  tls:
                    certificates: [{secretName: site-tls}]
                  routes:
                    - match: {path: {value: /}}
                      backend: {service: 127.0.0.1, port: %d}
                """.formatted(backend.port()));
        files.put(BundleFiles.certificateKey("site-tls"), TestCertificates.certificatePem(certificate.chain()));
        files.put(BundleFiles.privateKeyKey("site-tls"), TestCertificates.keyPem(certificate.key(), KeyFormat.PKCS8));
        return files;
    }

    @Test
    void aRotatedCertificateIsStapledWithItsOwnResponse() throws Exception {
        Issued v1 = leaf("v1", responder.url());
        serve(v1);
        await().atMost(Duration.ofSeconds(10)).until(() -> handshake().stapled());

        Issued v2 = leaf("v2", responder.url());
        TestCertificates.write(secrets, "site-tls", v2, KeyFormat.PKCS8);
        proxy.runtime().checkForChanges();

        await().atMost(Duration.ofSeconds(10)).until(() -> {
            StapledHandshake handshake = handshake();
            return handshake.subject().equals("CN=v2") && handshake.stapled();
        });
        StapledHandshake handshake = handshake();
        assertThat(TestOcspResponder.parse(handshake.ocspResponse()).getResponses()[0].getCertID().getSerialNumber())
                .isEqualTo(v2.leaf().getSerialNumber());
        assertThat(responder.requestedSerials()).containsSubsequence(v1.leaf().getSerialNumber(),
                v2.leaf().getSerialNumber());
    }
}
