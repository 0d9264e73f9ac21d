package dev.portico.runtime.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portico.crds.bundle.BundleFiles;
import dev.portico.crds.bundle.ConfigPush;
import dev.portico.runtime.testing.AdminClient;
import dev.portico.runtime.testing.MountedBundle;
import dev.portico.runtime.testing.RawHttpClient;
import dev.portico.runtime.testing.RawResponse;
import dev.portico.runtime.testing.RunningProxy;
import dev.portico.runtime.testing.TestBackend;
import dev.portico.runtime.tls.TestCertificates.Issued;
import dev.portico.runtime.tls.TlsClients.Options;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
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
 * Pushes are hitless (API.md, Config changes): under a steady load of requests, with a
 * WebSocket and an event stream open, 100 pushed route changes, every tenth with a new
 * certificate, fail no request and close neither stream.
 */
@Timeout(180)
class HitlessPushTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String TOKEN = "hitless-token";
    private static final int PUSHES = 100;
    private static final int ROTATE_EVERY = 10;
    /** Bounds the load whatever the machine's speed; the pushes usually end long before. */
    private static final int MAX_REQUESTS_PER_CLIENT = 20_000;
    private static final List<Issued> CERTIFICATES = new ArrayList<>();
    private static TestCertificates.Ca ca;

    @TempDir
    Path dir;
    TestBackend one;
    TestBackend two;
    RunningProxy proxy;
    AdminClient admin;

    @BeforeAll
    static void certificates() {
        ca = TestCertificates.newCa("Portico Hitless CA");
        for (int i = 0; i <= PUSHES / ROTATE_EVERY; i++) {
            CERTIFICATES.add(ca.issue(TestCertificates.leaf("v" + i).ec().sans("localhost")));
        }
    }

    @BeforeEach
    void start() throws Exception {
        one = TestBackend.start("one");
        two = TestBackend.start("two");
        MountedBundle mounted = MountedBundle.mount(dir.resolve("mount"), files(0), 1);
        proxy = RunningProxy.start(mounted, Files.writeString(dir.resolve("token"), TOKEN));
        admin = proxy.admin();
    }

    @AfterEach
    void stop() {
        proxy.close();
        one.close();
        two.close();
    }

    /**
     * Generation {@code n}: {@code /probe} answers "gen-n" from the proxy, everything else goes
     * to backend one or two by parity, and the certificate is the one of rotation n / 10.
     */
    private Map<String, String> files(int n) {
        Issued certificate = CERTIFICATES.get(n / ROTATE_EVERY);
        Map<String, String> files = new TreeMap<>();
        files.put(BundleFiles.SITE_FILE, """
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: hitless, generation: %d}
                spec:
                  hosts: ["*"]
                  tls:
                    certificates: [{secretName: site-tls}]
                    httpRedirect: false
                  routes:
                    - match: {path: {value: /probe}}
                      respond: {body: "gen-%d"}
                    - match: {path: {value: /}}
                      backend: {service: 127.0.0.1, port: %d}
                """.formatted(n, n, (n % 2 == 0 ? one : two).port()));
        files.put(BundleFiles.certificateKey("site-tls"), TestCertificates.certificatePem(certificate.chain()));
        files.put(BundleFiles.privateKeyKey("site-tls"),
                TestCertificates.keyPem(certificate.key(), TestCertificates.KeyFormat.PKCS8));
        return files;
    }

    @Test
    void aHundredPushedRouteChangesAndTenRotationsFailNothingAndCloseNothing() throws Exception {
        int https = proxy.runtime().httpsPort();
        HttpClient client = TlsClients.httpClient(ca.clientContext(), HttpClient.Version.HTTP_1_1);
        List<String> events = new CopyOnWriteArrayList<>();
        HttpResponse<Stream<String>> sse = client.send(HttpRequest.newBuilder(
                        URI.create("https://localhost:" + https + "/__sse?events=100000&intervalMs=20&hold=true"))
                .build(), HttpResponse.BodyHandlers.ofLines());
        assertThat(sse.statusCode()).isEqualTo(200);
        ExecutorService reader = Executors.newSingleThreadExecutor();
        reader.submit(() -> sse.body().filter(line -> line.startsWith("data: ")).forEach(events::add));
        BlockingQueue<String> echoes = new LinkedBlockingQueue<>();
        WebSocket ws = client.newWebSocketBuilder()
                .buildAsync(URI.create("wss://localhost:" + https + "/ws"), new WebSocket.Listener() {
                    @Override
                    public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
                        echoes.add(data.toString());
                        socket.request(1);
                        return null;
                    }
                })
                .get(WAIT.toSeconds(), TimeUnit.SECONDS);

        AtomicBoolean pushing = new AtomicBoolean(true);
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        List<AtomicInteger> completed = new ArrayList<>();
        ExecutorService clients = Executors.newFixedThreadPool(4);
        List<Future<?>> running = new ArrayList<>();
        for (int c = 0; c < 3; c++) {
            int id = c;
            AtomicInteger done = new AtomicInteger();
            completed.add(done);
            running.add(clients.submit(() -> plainKeepAliveClient(id, pushing, done, failures)));
        }
        AtomicInteger handshakes = new AtomicInteger();
        completed.add(handshakes);
        running.add(clients.submit(() -> newHandshakeClient(https, pushing, handshakes, failures)));
        try {
            await().atMost(WAIT).until(() -> completed.stream().allMatch(n -> n.get() >= 3));
            await().atMost(WAIT).until(() -> events.size() >= 3);

            for (int n = 1; n <= PUSHES; n++) {
                ConfigPush push = ConfigPush.of(1 + n, files(n));
                RawResponse answer = admin.push(push, TOKEN);
                assertThat(answer.status()).as("push %d: %s", n, answer).isEqualTo(200);
                JsonNode serving = AdminClient.json(answer);
                assertThat(serving.get("revision").asLong()).isEqualTo(1 + n);
                assertThat(serving.get("hash").asText()).isEqualTo(push.hash());
                assertThat(proxy.get("/probe").bodyText()).isEqualTo("gen-" + n);
                if (n % ROTATE_EVERY == 0) {
                    assertThat(TlsClients.subjectFor(ca, https, "localhost")).isEqualTo("CN=v" + n / ROTATE_EVERY);
                    ws.sendText("push " + n, true).get(5, TimeUnit.SECONDS);
                    assertThat(echoes.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("push " + n);
                }
            }
        } finally {
            pushing.set(false);
        }
        try {
            for (Future<?> c : running) {
                c.get(WAIT.toSeconds() * 3, TimeUnit.SECONDS);
            }
            assertThat(failures).isEmpty();
            assertThat(completed).allSatisfy(n -> assertThat(n.get()).isGreaterThanOrEqualTo(5));
            assertThat(admin.pushes("applied")).isEqualTo(PUSHES);

            int eventsAfterPushes = events.size();
            await().atMost(WAIT).until(() -> events.size() >= eventsAfterPushes + 3);
            List<String> seen = List.copyOf(events);
            assertThat(seen).as("one stream, every event in order")
                    .isEqualTo(IntStream.rangeClosed(1, seen.size()).mapToObj(i -> "data: event-" + i).toList());
            ws.sendText("after", true).get(5, TimeUnit.SECONDS);
            assertThat(echoes.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("after");
        } finally {
            clients.shutdownNow();
            ws.abort();
            sse.body().close();
            reader.shutdownNow();
        }
    }

    /** Requests on one keep-alive connection opened before the first push: none may fail or be closed by one. */
    private Void plainKeepAliveClient(int id, AtomicBoolean pushing, AtomicInteger done,
                                      ConcurrentLinkedQueue<String> failures) {
        try (RawHttpClient connection = proxy.connect()) {
            for (int i = 0; (pushing.get() || i < 5) && i < MAX_REQUESTS_PER_CLIENT; i++) {
                String target = "/load?c=" + id + "&i=" + i;
                connection.send("GET " + target + " HTTP/1.1\r\nHost: a\r\n\r\n");
                RawResponse response = connection.readResponse();
                String body = response.bodyText();
                boolean routed = body.equals("ok one GET " + target) || body.equals("ok two GET " + target);
                if (response.status() != 200 || !routed) {
                    failures.add(target + " -> " + response);
                }
                done.incrementAndGet();
            }
        } catch (IOException | RuntimeException e) {
            failures.add("client " + id + ": " + e);
        }
        return null;
    }

    /** A new TLS handshake per request, so every rotation is met by handshakes in flight. */
    private Void newHandshakeClient(int https, AtomicBoolean pushing, AtomicInteger done,
                                    ConcurrentLinkedQueue<String> failures) {
        for (int i = 0; (pushing.get() || i < 5) && i < MAX_REQUESTS_PER_CLIENT; i++) {
            try (SSLSocket socket = TlsClients.handshake(ca.clientContext(), https, Options.sni("localhost"))) {
                RawResponse response = TlsClients.request(socket, "localhost", "/tls?i=" + i, "Connection: close");
                if (response.status() != 200) {
                    failures.add("tls " + i + " -> " + response);
                }
            } catch (IOException | RuntimeException e) {
                failures.add("tls " + i + ": " + e);
            }
            done.incrementAndGet();
        }
        return null;
    }
}
