package dev.portico.runtime.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.portico.runtime.config.ConfigReloader;
import dev.portico.runtime.testing.RawHttpClient;
import dev.portico.runtime.testing.RawResponse;
import dev.portico.runtime.testing.RunningProxy;
import dev.portico.runtime.testing.TestBackend;
import dev.portico.runtime.tls.TestCertificates.Issued;
import dev.portico.runtime.tls.TestCertificates.KeyFormat;
import dev.portico.runtime.tls.TlsClients.Options;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A rotated certificate is served to new handshakes without a restart, open connections
 * carry on, no request fails; a broken pair is refused and the last good one serves.
 */
@Timeout(60)
class RotationTest {

    static TestCertificates.Ca ca;
    @TempDir
    Path dir;
    Path secrets;
    TestBackend backend;
    RunningProxy proxy;
    ListAppender<ILoggingEvent> log;

    @BeforeAll
    static void certificates() {
        ca = TestCertificates.newCa("Portico Test CA");
    }

    @BeforeEach
    void start() {
        secrets = dir.resolve("secrets");
        TestCertificates.write(secrets, "site-tls", version("v1"), KeyFormat.TRADITIONAL);
        backend = TestBackend.start("app");
        proxy = RunningProxy.start(dir, """
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: rotation, generation: 1}
                spec:
                  hosts: ["localhost"]
                  tls:
                    certificates: [{secretName: site-tls}]
                  routes:
                    - match: {path: {value: /}}
                      backend: {service: 127.0.0.1, port: %d}
                """.formatted(backend.port()));
        log = new ListAppender<>();
        log.start();
        ((Logger) LoggerFactory.getLogger(ConfigReloader.class)).addAppender(log);
    }

    @AfterEach
    void stop() {
        ((Logger) LoggerFactory.getLogger(ConfigReloader.class)).detachAppender(log);
        proxy.close();
        backend.close();
    }

    private static Issued version(String name) {
        return ca.issue(TestCertificates.leaf(name).sans("localhost", "127.0.0.1"));
    }

    private int port() {
        return proxy.runtime().httpsPort();
    }

    private String servedSubject() throws Exception {
        return TlsClients.subjectFor(ca, port(), "localhost");
    }

    private String configHash() throws Exception {
        try (RawHttpClient admin = RawHttpClient.connect(proxy.adminPort())) {
            admin.send("GET /config HTTP/1.1\r\nHost: admin\r\nConnection: close\r\n\r\n");
            String body = admin.readResponse().bodyText();
            return body.replaceAll("(?s).*\"hash\":\"([^\"]+)\".*", "$1");
        }
    }

    @Test
    void rotationReachesNewHandshakesWithoutFailingOrClosingAnything() throws Exception {
        assertThat(servedSubject()).isEqualTo("CN=v1");
        String hashBefore = configHash();
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger succeeded = new AtomicInteger();
        List<String> failures = new CopyOnWriteArrayList<>();
        Thread loop = new Thread(() -> {
            while (running.get()) {
                try (SSLSocket socket = TlsClients.handshake(ca.clientContext(), port(), Options.sni("localhost"))) {
                    RawResponse response = TlsClients.request(socket, "localhost", "/loop", "Connection: close");
                    if (response.status() == 200) {
                        succeeded.incrementAndGet();
                    } else {
                        failures.add("status " + response.status());
                    }
                } catch (Exception e) {
                    failures.add(e.toString());
                }
            }
        }, "rotation-request-loop");

        try (SSLSocket open = TlsClients.handshake(ca.clientContext(), port(), Options.sni("localhost"))) {
            assertThat(TlsClients.request(open, "localhost", "/before").status()).isEqualTo(200);
            loop.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> succeeded.get() >= 5);

            TestCertificates.write(secrets, "site-tls", version("v2"), KeyFormat.PKCS8);
            proxy.runtime().checkForChanges();

            await().atMost(Duration.ofSeconds(10)).until(() -> servedSubject().equals("CN=v2"));
            int afterRotation = succeeded.get();
            await().atMost(Duration.ofSeconds(10)).until(() -> succeeded.get() >= afterRotation + 5);
            running.set(false);
            loop.join(10_000);

            // The connection opened before the rotation still serves, still with its certificate.
            assertThat(TlsClients.request(open, "localhost", "/after").bodyText()).isEqualTo("ok app GET /after");
            assertThat(TlsClients.peerSubject(open)).isEqualTo("CN=v1");
        } finally {
            running.set(false);
        }
        assertThat(failures).isEmpty();
        assertThat(succeeded.get()).isGreaterThanOrEqualTo(10);
        String hashAfterRotation = configHash();
        assertThat(hashAfterRotation).isNotEqualTo(hashBefore);

        // A broken pair: the second certificate keeps serving and the applied config stays.
        TestCertificates.write(secrets, "site-tls", version("v3").withKeyOf(version("other")), KeyFormat.PKCS8);
        proxy.runtime().checkForChanges();

        await().atMost(Duration.ofSeconds(5)).until(() -> log.list.stream()
                .anyMatch(e -> e.getFormattedMessage().contains("secret site-tls")
                        && e.getFormattedMessage().contains("does not belong")));
        assertThat(servedSubject()).isEqualTo("CN=v2");
        assertThat(configHash()).isEqualTo(hashAfterRotation);
        try (SSLSocket socket = TlsClients.handshake(ca.clientContext(), port(), Options.sni("localhost"))) {
            assertThat(TlsClients.request(socket, "localhost", "/still").status()).isEqualTo(200);
        }
    }

    @Test
    void expiredOrUnparsableReplacementsAreRefused() throws Exception {
        String hash = configHash();

        TestCertificates.write(secrets, "site-tls", ca.issue(TestCertificates.leaf("expired").sans("localhost")
                .expired()), KeyFormat.PKCS8);
        proxy.runtime().checkForChanges();
        assertThat(servedSubject()).isEqualTo("CN=v1");

        TestCertificates.writeRaw(secrets, "site-tls", "not a certificate\n", "not a key\n");
        proxy.runtime().checkForChanges();
        assertThat(servedSubject()).isEqualTo("CN=v1");

        assertThat(configHash()).isEqualTo(hash);
        assertThat(log.list).anyMatch(e -> e.getFormattedMessage().contains("secret site-tls")
                && e.getFormattedMessage().contains("expired"));
        assertThat(log.list).anyMatch(e -> e.getFormattedMessage().contains("secret site-tls")
                && e.getFormattedMessage().contains("tls.crt"));

        // Fixing the secret is picked up again.
        TestCertificates.write(secrets, "site-tls", version("fixed"), KeyFormat.PKCS8);
        proxy.runtime().checkForChanges();
        assertThat(servedSubject()).isEqualTo("CN=fixed");
    }

    @Test
    void webSocketOverTlsWorksAndSurvivesARotation() throws Exception {
        HttpClient client = TlsClients.httpClient(ca.clientContext(), HttpClient.Version.HTTP_1_1);
        BlockingQueue<String> received = new LinkedBlockingQueue<>();
        WebSocket socket = client.newWebSocketBuilder()
                .buildAsync(URI.create("wss://localhost:" + port() + "/ws"), new WebSocket.Listener() {
                    @Override
                    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                        received.add(data.toString());
                        webSocket.request(1);
                        return null;
                    }
                })
                .get(10, TimeUnit.SECONDS);

        socket.sendText("hello", true).get(5, TimeUnit.SECONDS);
        assertThat(received.poll(5, TimeUnit.SECONDS)).isEqualTo("hello");
        assertThat(backend.takeRequest().header("X-Forwarded-Proto")).isEqualTo("https");

        TestCertificates.write(secrets, "site-tls", version("v2"), KeyFormat.PKCS8);
        proxy.runtime().checkForChanges();
        await().atMost(Duration.ofSeconds(10)).until(() -> servedSubject().equals("CN=v2"));

        socket.sendText("still there", true).get(5, TimeUnit.SECONDS);
        assertThat(received.poll(5, TimeUnit.SECONDS)).isEqualTo("still there");
        socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(5, TimeUnit.SECONDS);
    }
}
