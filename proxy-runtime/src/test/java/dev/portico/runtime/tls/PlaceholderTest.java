package dev.portico.runtime.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portico.runtime.testing.RawResponse;
import dev.portico.runtime.testing.RunningProxy;
import dev.portico.runtime.testing.TestBackend;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runtime outside a cluster with a certificate whose secret folder does not exist yet: it starts on a
 * self-signed placeholder for the certificate's hosts, and the real one replaces it when written, on new
 * handshakes, while a connection opened on the placeholder keeps working.
 */
@Timeout(60)
class PlaceholderTest {

    @TempDir
    Path dir;

    @Test
    void aSecretNotWrittenYetIsServedAsAPlaceholderUntilItIs() throws Exception {
        TestCertificates.Ca ca = TestCertificates.newCa("Portico Placeholder Test CA");
        try (TestBackend backend = TestBackend.start("app");
             RunningProxy proxy = RunningProxy.start(dir, """
                     apiVersion: portico.dev/v1alpha1
                     kind: ProxySite
                     metadata: {name: placeholder}
                     spec:
                       hosts: ["localhost"]
                       tls:
                         certificates: [{secretName: later-tls}]
                       routes:
                         - backend: {service: 127.0.0.1, port: %d}
                     """.formatted(backend.port()))) {
            int port = proxy.runtime().httpsPort();
            try (SSLSocket open = TlsClients.handshake(trustAll(), port, TlsClients.Options.sni("localhost"))) {
                assertThat(TlsClients.peerSubject(open)).contains("Portico placeholder");
                RawResponse plain = proxy.request("GET", "localhost", "/.well-known/acme-challenge/x");
                assertThat(plain.bodyText()).isEqualTo("ok app GET /.well-known/acme-challenge/x");

                TestCertificates.write(dir.resolve("secrets"), "later-tls",
                        ca.issue(TestCertificates.leaf("real").ec().sans("localhost")), TestCertificates.KeyFormat.PKCS8);

                // Until the reload, handshakes get the placeholder, which the CA-trusting client refuses.
                await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                        .until(() -> TlsClients.subjectFor(ca, port, "localhost"),
                        "CN=real"::equals);
                assertThat(TlsClients.request(open, "localhost", "/still").bodyText()).isEqualTo("ok app GET /still");
            }
        }
    }

    private static SSLContext trustAll() throws Exception {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[] {new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String type) { }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String type) { }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, null);
        return context;
    }
}
