package dev.portico.runtime.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portico.crds.bundle.BundleFiles;
import dev.portico.crds.bundle.ConfigPush;
import dev.portico.runtime.testing.AdminClient;
import dev.portico.runtime.testing.MountedBundle;
import dev.portico.runtime.testing.RunningProxy;
import dev.portico.runtime.testing.TestBackend;
import dev.portico.runtime.tls.TestCertificates.Issued;
import dev.portico.runtime.tls.TlsClients.Options;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A certificate rotated by a push: new handshakes get the new certificate as soon as the
 * push is answered, while a TLS keep-alive connection, a WebSocket and an event stream
 * opened before it stay open and keep working.
 */
@Timeout(60)
class PushedRotationTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String TOKEN = "rotation-token";
    static TestCertificates.Ca ca;

    @TempDir
    Path dir;
    TestBackend backend;
    RunningProxy proxy;
    AdminClient admin;

    @BeforeAll
    static void certificates() {
        ca = TestCertificates.newCa("Portico Pushed Rotation CA");
    }

    @BeforeEach
    void start() throws Exception {
        backend = TestBackend.start("app");
        MountedBundle mounted = MountedBundle.mount(dir.resolve("mount"), files(version("v1")), 1);
        proxy = RunningProxy.start(mounted, Files.writeString(dir.resolve("token"), TOKEN));
        admin = proxy.admin();
    }

    @AfterEach
    void stop() {
        proxy.close();
        backend.close();
    }

    private static Issued version(String name) {
        return ca.issue(TestCertificates.leaf(name).ec().sans("localhost"));
    }

    private Map<String, String> files(Issued certificate) {
        Map<String, String> files = new TreeMap<>();
        files.put(BundleFiles.SITE_FILE, """
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: pushed-rotation}
                spec:
                  hosts: ["localhost"]
                  tls:
                    certificates: [{secretName: site-tls}]
                  routes:
                    - match: {path: {value: /}}
                      backend: {service: 127.0.0.1, port: %d}
                """.formatted(backend.port()));
        files.put(BundleFiles.certificateKey("site-tls"), TestCertificates.certificatePem(certificate.chain()));
        files.put(BundleFiles.privateKeyKey("site-tls"),
                TestCertificates.keyPem(certificate.key(), TestCertificates.KeyFormat.PKCS8));
        return files;
    }

    private int port() {
        return proxy.runtime().httpsPort();
    }

    @Test
    void aPushedCertificateServesNewHandshakesAndNothingOpenNotices() throws Exception {
        HttpClient client = TlsClients.httpClient(ca.clientContext(), HttpClient.Version.HTTP_1_1);
        List<String> events = new CopyOnWriteArrayList<>();
        HttpResponse<Stream<String>> sse = client.send(HttpRequest.newBuilder(
                        URI.create("https://localhost:" + port() + "/__sse?events=100000&intervalMs=20&hold=true"))
                .build(), HttpResponse.BodyHandlers.ofLines());
        assertThat(sse.statusCode()).isEqualTo(200);
        ExecutorService reader = Executors.newSingleThreadExecutor();
        reader.submit(() -> sse.body().filter(line -> line.startsWith("data: ")).forEach(events::add));
        BlockingQueue<String> echoes = new LinkedBlockingQueue<>();
        WebSocket ws = client.newWebSocketBuilder()
                .buildAsync(URI.create("wss://localhost:" + port() + "/ws"), new WebSocket.Listener() {
                    @Override
                    public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
                        echoes.add(data.toString());
                        socket.request(1);
                        return null;
                    }
                })
                .get(WAIT.toSeconds(), TimeUnit.SECONDS);
        try (SSLSocket open = TlsClients.handshake(ca.clientContext(), port(), Options.sni("localhost"))) {
            assertThat(TlsClients.request(open, "localhost", "/before").status()).isEqualTo(200);
            assertThat(TlsClients.peerSubject(open)).isEqualTo("CN=v1");
            ws.sendText("before", true).get(5, TimeUnit.SECONDS);
            assertThat(echoes.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("before");
            await().atMost(WAIT).until(() -> events.size() >= 3);

            assertThat(admin.push(ConfigPush.of(2, files(version("v2"))), TOKEN).status()).isEqualTo(200);
            int eventsAtPush = events.size();

            assertThat(TlsClients.subjectFor(ca, port(), "localhost")).isEqualTo("CN=v2");
            assertThat(TlsClients.request(open, "localhost", "/after").bodyText()).isEqualTo("ok app GET /after");
            assertThat(TlsClients.peerSubject(open)).isEqualTo("CN=v1");
            ws.sendText("after", true).get(5, TimeUnit.SECONDS);
            assertThat(echoes.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("after");
            await().atMost(WAIT).until(() -> events.size() >= eventsAtPush + 5);
            // Not a reconnect: the same stream, every event in order, none missing.
            List<String> seen = List.copyOf(events);
            assertThat(seen)
                    .isEqualTo(IntStream.rangeClosed(1, seen.size()).mapToObj(i -> "data: event-" + i).toList());
        } finally {
            ws.abort();
            sse.body().close();
            reader.shutdownNow();
        }
    }
}
