package dev.portico.runtime.tls;

import static dev.portico.runtime.tls.TlsClients.HelloAnswer.SERVER_HELLO;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portico.runtime.testing.RawResponse;
import dev.portico.runtime.testing.RunningProxy;
import dev.portico.runtime.testing.TestBackend;
import dev.portico.runtime.tls.TestCertificates.KeyFormat;
import dev.portico.runtime.tls.TlsClients.Options;
import java.nio.file.Path;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The TLS listener as a client sees it: certificates by SNI, protocol versions, ciphers, ALPN, resumption. */
@Timeout(60)
class TlsTest {

    static TestCertificates.Ca ca;
    @TempDir
    Path dir;
    TestBackend backend;
    RunningProxy proxy;
    SSLContext client;

    @BeforeAll
    static void certificates() {
        ca = TestCertificates.newCa("Portico Test CA");
    }

    @BeforeEach
    void start() {
        Path secrets = dir.resolve("secrets");
        // "first" is listed first, so it is the default; the wildcard is listed before the
        // exact name to show that exact beats wildcard by kind, not by order.
        TestCertificates.write(secrets, "first-tls", ca.issue(TestCertificates.leaf("first")
                .sans("first.example.com", "localhost", "127.0.0.1")), KeyFormat.TRADITIONAL);
        TestCertificates.write(secrets, "wild-tls", ca.issue(TestCertificates.leaf("wild").ec()
                .sans("*.wild.example.com")), KeyFormat.TRADITIONAL);
        TestCertificates.write(secrets, "exact-tls", ca.issue(TestCertificates.leaf("exact")
                .sans("exact.wild.example.com")), KeyFormat.PKCS8);
        backend = TestBackend.start("app");
        proxy = RunningProxy.start(dir, site(""));
        client = ca.clientContext();
    }

    @AfterEach
    void stop() {
        proxy.close();
        backend.close();
    }

    private String site(String tlsExtra) {
        return """
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: tls, generation: 1}
                spec:
                  hosts: ["first.example.com", "localhost", "*.wild.example.com", "exact.wild.example.com"]
                  tls:
                    certificates:
                      - {secretName: first-tls, hosts: ["first.example.com", "localhost"]}
                      - {secretName: wild-tls, hosts: ["*.wild.example.com"]}
                      - {secretName: exact-tls, hosts: ["exact.wild.example.com"]}
                %s
                  routes:
                    - match: {path: {value: /}}
                      backend: {service: 127.0.0.1, port: %d}
                """.formatted(tlsExtra.indent(4).stripTrailing(), backend.port());
    }

    private int port() {
        return proxy.runtime().httpsPort();
    }

    @Test
    void certificateIsChosenBySni() throws Exception {
        assertThat(TlsClients.subjectFor(ca, port(), "first.example.com")).isEqualTo("CN=first");
        assertThat(TlsClients.subjectFor(ca, port(), "x.wild.example.com")).isEqualTo("CN=wild");
        assertThat(TlsClients.subjectFor(ca, port(), "EXACT.wild.example.com")).isEqualTo("CN=exact");
    }

    @Test
    void wildcardCoversOneLabelOnly() throws Exception {
        assertThat(TlsClients.subjectFor(ca, port(), "a.b.wild.example.com")).isEqualTo("CN=first");
        assertThat(TlsClients.subjectFor(ca, port(), "wild.example.com")).isEqualTo("CN=first");
    }

    @Test
    void noSniOrAnUnknownNameGetsTheFirstCertificate() throws Exception {
        assertThat(TlsClients.subjectFor(ca, port(), null)).isEqualTo("CN=first");
        assertThat(TlsClients.subjectFor(ca, port(), "unknown.test")).isEqualTo("CN=first");
    }

    @Test
    void servesHttpOverTheChosenCertificate() throws Exception {
        try (SSLSocket socket = TlsClients.handshake(client, port(), Options.sni("x.wild.example.com"))) {
            RawResponse response = TlsClients.request(socket, "x.wild.example.com", "/hello");
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.bodyText()).isEqualTo("ok app GET /hello");
            // Keep-alive: a second request on the same TLS connection.
            assertThat(TlsClients.request(socket, "x.wild.example.com", "/again").bodyText())
                    .isEqualTo("ok app GET /again");
        }
        assertThat(backend.takeRequest().header("X-Forwarded-Proto")).isEqualTo("https");
    }

    @Test
    void tls12And13AreAcceptedAndNothingOlder() throws Exception {
        for (String protocol : new String[] {"TLSv1.2", "TLSv1.3"}) {
            try (SSLSocket socket = TlsClients.handshake(client, port(),
                    Options.sni("localhost").protocols(protocol))) {
                assertThat(socket.getSession().getProtocol()).isEqualTo(protocol);
            }
        }
        assertThat(TlsClients.rawClientHello(port(), 0x0303)).isEqualTo(SERVER_HELLO);
        assertThat(TlsClients.rawClientHello(port(), 0x0302)).isNotEqualTo(SERVER_HELLO);
        assertThat(TlsClients.rawClientHello(port(), 0x0301)).isNotEqualTo(SERVER_HELLO);
    }

    @Test
    void minVersion13RefusesTls12() throws Exception {
        proxy.reconfigure(site("minVersion: \"1.3\""));

        assertThatThrownBy(() -> TlsClients.handshake(client, port(), Options.sni("localhost").protocols("TLSv1.2")))
                .isInstanceOf(SSLException.class);
        assertThat(TlsClients.rawClientHello(port(), 0x0303)).isNotEqualTo(SERVER_HELLO);
        try (SSLSocket socket = TlsClients.handshake(client, port(), Options.sni("localhost"))) {
            assertThat(socket.getSession().getProtocol()).isEqualTo("TLSv1.3");
        }
    }

    @Test
    void negotiatedCipherSuitesAreAead() throws Exception {
        for (String sni : new String[] {"localhost", "x.wild.example.com"}) { // RSA and ECDSA certificates
            for (String protocol : new String[] {"TLSv1.2", "TLSv1.3"}) {
                try (SSLSocket socket = TlsClients.handshake(ca.clientContext(), port(),
                        Options.sni(sni).protocols(protocol))) {
                    assertThat(socket.getSession().getCipherSuite()).matches(".*(_GCM_|_CHACHA20_POLY1305_).*");
                }
            }
        }
    }

    @Test
    void cbcAndNonForwardSecretSuitesAreRefused() {
        assertThatThrownBy(() -> TlsClients.handshake(client, port(), Options.sni("localhost").protocols("TLSv1.2")
                .ciphers("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA")))
                .isInstanceOf(SSLException.class);
        assertThatThrownBy(() -> TlsClients.handshake(client, port(), Options.sni("localhost").protocols("TLSv1.2")
                .ciphers("TLS_RSA_WITH_AES_128_GCM_SHA256")))
                .isInstanceOf(SSLException.class);
    }

    @Test
    void alpnOffersH2AndHttp11() throws Exception {
        try (SSLSocket socket = TlsClients.handshake(client, port(), Options.sni("localhost").alpn("h2", "http/1.1"))) {
            assertThat(socket.getApplicationProtocol()).isEqualTo("h2");
        }
        try (SSLSocket socket = TlsClients.handshake(client, port(), Options.sni("localhost").alpn("http/1.1"))) {
            assertThat(socket.getApplicationProtocol()).isEqualTo("http/1.1");
            assertThat(TlsClients.request(socket, "localhost", "/alpn").status()).isEqualTo(200);
        }
    }

    @Test
    void withoutAlpnTheConnectionSpeaksHttp11() throws Exception {
        try (SSLSocket socket = TlsClients.handshake(client, port(), Options.sni("localhost"))) {
            assertThat(socket.getApplicationProtocol()).isEmpty();
            assertThat(TlsClients.request(socket, "localhost", "/no-alpn").bodyText()).isEqualTo("ok app GET /no-alpn");
        }
    }

    @Test
    void http2FalseNegotiatesHttp11EvenWhenTheClientOffersH2() throws Exception {
        proxy.reconfigure(site("").replace("  routes:", "  http2: false\n  routes:"));

        try (SSLSocket socket = TlsClients.handshake(client, port(), Options.sni("localhost").alpn("h2", "http/1.1"))) {
            assertThat(socket.getApplicationProtocol()).isEqualTo("http/1.1");
            assertThat(TlsClients.request(socket, "localhost", "/h1").status()).isEqualTo(200);
        }
    }

    @Test
    void tls12SessionsAreResumed() throws Exception {
        SSLContext tls12 = ca.clientContext("TLSv1.2");
        byte[] firstId;
        long firstCreated;
        try (SSLSocket socket = TlsClients.handshake(tls12, port(), Options.sni("localhost"))) {
            assertThat(socket.getSession().getProtocol()).isEqualTo("TLSv1.2");
            firstId = socket.getSession().getId();
            firstCreated = socket.getSession().getCreationTime();
        }
        try (SSLSocket socket = TlsClients.handshake(tls12, port(), Options.sni("localhost"))) {
            assertThat(firstId).isNotEmpty();
            assertThat(socket.getSession().getId()).isEqualTo(firstId);
            assertThat(socket.getSession().getCreationTime()).isEqualTo(firstCreated);
        }
    }

    @Test
    void serverUsesBoringSslWhenItLoads() {
        assertThat(io.netty.handler.ssl.OpenSsl.isAvailable())
                .as("netty-tcnative-boringssl-static loads on this platform").isTrue();
        assertThat(ServerTlsContexts.provider()).isEqualTo(io.netty.handler.ssl.SslProvider.OPENSSL);
    }
}
