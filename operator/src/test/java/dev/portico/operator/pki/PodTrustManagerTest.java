package dev.portico.operator.pki;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import org.junit.jupiter.api.Test;

/**
 * The operator's check of a pod's admin certificate, without sockets: an SSLEngine made for a pod
 * address is what the JDK's HTTP client hands the trust manager, so the same engine identifies
 * the pod here.
 */
class PodTrustManagerTest {

    private static final Instant NOW = Instant.parse("2026-12-02T15:00:00Z");
    private static final Lifetimes LIFETIMES = Lifetimes.DEFAULT;
    private static final String VERA = "vera-proxy.aidoo.svc";
    private static final Map<String, String> PODS = Map.of("10.0.0.7:9901", VERA);

    private final AtomicReference<AdminCa> ca = new AtomicReference<>(AdminCa.create(NOW.minus(Duration.ofDays(1)), LIFETIMES));
    private final AtomicReference<Instant> clock = new AtomicReference<>(NOW);

    private PodTrustManager trustManager() {
        Clock now = new Clock() {
            @Override
            public ZoneOffset getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return clock.get();
            }
        };
        return new PodTrustManager(() -> ca.get().trusted(), (host, port) -> PODS.get(host + ":" + port), now);
    }

    private static SSLEngine engine(String host, int port) throws Exception {
        return SSLContext.getDefault().createSSLEngine(host, port);
    }

    private X509Certificate[] issued(AdminCa by, String... names) {
        return by.issuing().issue(List.of(names), NOW, LIFETIMES.serving()).chain().toArray(X509Certificate[]::new);
    }

    @Test
    void aCertificateOfTheAdminCaNamingThePodsSiteIsAccepted() {
        X509Certificate[] chain = issued(ca.get(), VERA, VERA + ".cluster.local");

        assertThatCode(() -> trustManager().checkServerTrusted(chain, "ECDHE_ECDSA", engine("10.0.0.7", 9901)))
                .doesNotThrowAnyException();
    }

    @Test
    void aCertificateOfAnotherSiteIsRefusedEvenFromTheSameCa() {
        X509Certificate[] chain = issued(ca.get(), "mallory-proxy.aidoo.svc");

        assertThatThrownBy(() -> trustManager().checkServerTrusted(chain, "ECDHE_ECDSA", engine("10.0.0.7", 9901)))
                .isInstanceOf(PodTrustManager.RefusedCertificate.class)
                .hasMessage("admin certificate names [mallory-proxy.aidoo.svc], not " + VERA);
    }

    @Test
    void aSelfSignedCertificateIsRefused() {
        AdminCa self = AdminCa.create(NOW, LIFETIMES);
        X509Certificate[] chain = {self.issuing().certificate()};
        X509Certificate[] strangerLeaf = issued(self, VERA);

        assertThatThrownBy(() -> trustManager().checkServerTrusted(chain, "ECDHE_ECDSA", engine("10.0.0.7", 9901)))
                .isInstanceOf(PodTrustManager.RefusedCertificate.class)
                .hasMessageContaining("is not signed by the operator's admin CA");
        assertThatThrownBy(() -> trustManager().checkServerTrusted(strangerLeaf, "ECDHE_ECDSA", engine("10.0.0.7", 9901)))
                .hasMessageContaining("is not signed by the operator's admin CA");
    }

    @Test
    void anExpiredOrNotYetValidCertificateIsRefused() {
        X509Certificate[] chain = issued(ca.get(), VERA);

        clock.set(NOW.plus(Duration.ofDays(91)));
        assertThatThrownBy(() -> trustManager().checkServerTrusted(chain, "ECDHE_ECDSA", engine("10.0.0.7", 9901)))
                .hasMessage("admin certificate of CN=" + VERA + " expired on " + NOW.plus(Duration.ofDays(90)));
        clock.set(NOW.minus(Duration.ofHours(1)));
        assertThatThrownBy(() -> trustManager().checkServerTrusted(chain, "ECDHE_ECDSA", engine("10.0.0.7", 9901)))
                .hasMessageContaining("is not valid before");
    }

    @Test
    void anAddressNoPushGoesToIsRefused() {
        X509Certificate[] chain = issued(ca.get(), VERA);

        assertThatThrownBy(() -> trustManager().checkServerTrusted(chain, "ECDHE_ECDSA", engine("10.0.0.8", 9901)))
                .hasMessage("no push to 10.0.0.8:9901 is expected");
        assertThatThrownBy(() -> trustManager().checkServerTrusted(chain, "ECDHE_ECDSA"))
                .isInstanceOf(PodTrustManager.RefusedCertificate.class);
    }

    @Test
    void duringARotationBothCasAreTrustedAndAfterItOnlyTheNewOne() {
        AdminCa old = ca.get();
        X509Certificate[] oldChain = issued(old, VERA);
        ca.set(old.rotated(NOW, LIFETIMES));
        X509Certificate[] newChain = issued(ca.get(), VERA);

        assertThatCode(() -> trustManager().checkServerTrusted(oldChain, "ECDHE_ECDSA", engine("10.0.0.7", 9901)))
                .doesNotThrowAnyException();
        assertThatCode(() -> trustManager().checkServerTrusted(newChain, "ECDHE_ECDSA", engine("10.0.0.7", 9901)))
                .doesNotThrowAnyException();

        ca.set(ca.get().retired());
        assertThatThrownBy(() -> trustManager().checkServerTrusted(oldChain, "ECDHE_ECDSA", engine("10.0.0.7", 9901)))
                .hasMessageContaining("is not signed by the operator's admin CA");
        assertThatCode(() -> trustManager().checkServerTrusted(newChain, "ECDHE_ECDSA", engine("10.0.0.7", 9901)))
                .doesNotThrowAnyException();
    }

    @Test
    void aCertificateForClientsOnlyIsRefused() {
        // The admin CA's own certificate names no server and is a CA: never a pod's.
        X509Certificate[] chain = {ca.get().issuing().certificate()};

        assertThatThrownBy(() -> trustManager().checkServerTrusted(chain, "ECDHE_ECDSA", engine("10.0.0.7", 9901)))
                .isInstanceOf(PodTrustManager.RefusedCertificate.class);
    }
}
