package dev.portico.runtime.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portico.runtime.testing.RawHttpClient;
import dev.portico.runtime.testing.RawResponse;
import dev.portico.runtime.testing.RunningProxy;
import dev.portico.runtime.testing.SiteFiles;
import dev.portico.runtime.testing.TestBackend;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Hot reload (API.md, Config changes and "The proxy runtime outside a cluster"): edits to
 * the site file are picked up by the runtime's own poll, invalid edits are refused, and
 * nothing open or in flight notices a reload.
 */
class HotReloadTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    TestBackend one;
    TestBackend two;
    RunningProxy proxy;
    HttpClient http;

    @BeforeEach
    void start() {
        one = TestBackend.start("one");
        two = TestBackend.start("two");
        proxy = RunningProxy.start(dir, site(1, one, two.port(), ""));
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(WAIT).build();
    }

    @AfterEach
    void stop() {
        proxy.close();
        one.close();
        two.close();
    }

    /** Everything to {@code main}; {@code /two} to port {@code twoPort}; plus {@code extraRoutes}. */
    private static String site(int generation, TestBackend main, int twoPort, String extraRoutes) {
        return """
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: reload, generation: %d}
                spec:
                  hosts: ["*"]
                  routes:
                %s
                    - match: {path: {value: /two}}
                      backend: {service: 127.0.0.1, port: %d}
                    - match: {path: {value: /}}
                      backend: {service: 127.0.0.1, port: %d}
                """.formatted(generation, extraRoutes.indent(4).stripTrailing(), twoPort, main.port());
    }

    @Test
    void anEditedSiteFileIsPickedUpByThePollAndChangesTheConfigHash() throws Exception {
        JsonNode before = config();
        assertThat(proxy.get("/new/x").bodyText()).isEqualTo("ok one GET /new/x");

        SiteFiles.overwrite(proxy.siteFile(), site(2, one, two.port(), """
                - match: {path: {value: /new}}
                  backend: {service: 127.0.0.1, port: %d}
                """.formatted(two.port())));

        // No checkForChanges(): the runtime's own 100 ms poll has to find the edit.
        await().atMost(WAIT).until(() -> proxy.get("/new/x").bodyText().equals("ok two GET /new/x"));
        JsonNode after = config();
        assertThat(after.get("name").asText()).isEqualTo("reload");
        assertThat(after.get("generation").asLong()).isEqualTo(2);
        assertThat(after.get("hash").asText()).startsWith("sha256:").isNotEqualTo(before.get("hash").asText());
        assertThat(before.get("generation").asLong()).isEqualTo(1);
        assertThat(proxy.get("/other").bodyText()).isEqualTo("ok one GET /other");
    }

    @Test
    void anInvalidEditIsRefusedAndTheLastGoodConfigKeepsServing() throws Exception {
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        Logger reloaderLog = (Logger) LoggerFactory.getLogger(ConfigReloader.class);
        reloaderLog.addAppender(log);
        try {
            String goodHash = config().get("hash").asText();
            double rejectedBefore = metric("portico_config_reloads_total{result=\"rejected\"}");

            SiteFiles.overwrite(proxy.siteFile(), site(2, one, 70000, ""));

            await().atMost(WAIT).until(
                    () -> metric("portico_config_reloads_total{result=\"rejected\"}") == rejectedBefore + 1);
            assertThat(config().get("hash").asText()).isEqualTo(goodHash);
            assertThat(config().get("generation").asLong()).isEqualTo(1);
            RawResponse toTwo = proxy.get("/two");
            assertThat(toTwo.status()).isEqualTo(200);
            assertThat(toTwo.bodyText()).isEqualTo("ok two GET /two");
            assertThat(proxy.get("/x").bodyText()).isEqualTo("ok one GET /x");
            await().atMost(WAIT).until(() -> !log.list.isEmpty());
            assertThat(log.list).anySatisfy(event -> {
                assertThat(event.getLevel().toString()).isEqualTo("ERROR");
                assertThat(event.getFormattedMessage()).contains("rejected").contains(goodHash)
                        .contains("spec.routes[0].backend.port");
            });

            // Not even YAML: refused the same way.
            SiteFiles.overwrite(proxy.siteFile(), "spec: [unclosed\n  routes: {");
            await().atMost(WAIT).until(
                    () -> metric("portico_config_reloads_total{result=\"rejected\"}") == rejectedBefore + 2);
            assertThat(config().get("hash").asText()).isEqualTo(goodHash);
            assertThat(proxy.get("/x").bodyText()).isEqualTo("ok one GET /x");

            // A later valid edit is applied again.
            SiteFiles.overwrite(proxy.siteFile(), site(3, two, two.port(), ""));
            await().atMost(WAIT).until(() -> config().get("generation").asLong() == 3);
            assertThat(proxy.get("/x").bodyText()).isEqualTo("ok two GET /x");
        } finally {
            reloaderLog.detachAppender(log);
        }
    }

    @Test
    void anOpenEventStreamAndAnOpenWebSocketKeepFlowingAcrossAReload() throws Exception {
        BlockingQueue<String> events = new LinkedBlockingQueue<>();
        HttpRequest sse = HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + proxy.httpPort() + "/__sse?events=20&intervalMs=100&hold=true"))
                .build();
        HttpResponse<Stream<String>> stream = http.send(sse, HttpResponse.BodyHandlers.ofLines());
        assertThat(stream.statusCode()).isEqualTo(200);
        ExecutorService reader = Executors.newSingleThreadExecutor();
        reader.submit(() -> stream.body().filter(line -> line.startsWith("data: ")).forEach(events::add));

        BlockingQueue<String> echoes = new LinkedBlockingQueue<>();
        WebSocket ws = http.newWebSocketBuilder()
                .buildAsync(URI.create("ws://127.0.0.1:" + proxy.httpPort() + "/chat"), new WebSocket.Listener() {
                    @Override
                    public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
                        echoes.add(data.toString());
                        socket.request(1);
                        return null;
                    }
                })
                .get(WAIT.toSeconds(), TimeUnit.SECONDS);
        try {
            assertThat(events.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("data: event-1");
            ws.sendText("before", true).join();
            assertThat(echoes.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("before");

            String oldHash = config().get("hash").asText();
            SiteFiles.overwrite(proxy.siteFile(), site(2, two, two.port(), ""));
            await().atMost(WAIT).until(() -> !config().get("hash").asText().equals(oldHash));
            assertThat(proxy.get("/x").bodyText()).isEqualTo("ok two GET /x");

            // Opened under the old config, still served by the old backend, to the last event.
            List<String> rest = new ArrayList<>();
            for (int i = 2; i <= 20; i++) {
                String event = events.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
                assertThat(event).as("event %d after the reload", i).isNotNull();
                rest.add(event);
            }
            assertThat(rest).first().isEqualTo("data: event-2");
            assertThat(rest).last().isEqualTo("data: event-20");
            ws.sendText("after", true).join();
            assertThat(echoes.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("after");
        } finally {
            ws.abort();
            stream.body().close();
            reader.shutdownNow();
        }
    }

    @Test
    void requestsInFlightDuringTwentyRapidReloadsAllSucceed() throws Exception {
        double appliedBefore = metric("portico_config_reloads_total{result=\"applied\"}");
        AtomicBoolean reloading = new AtomicBoolean(true);
        AtomicInteger completed = new AtomicInteger();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        ExecutorService clients = Executors.newFixedThreadPool(4);
        List<Future<?>> running = new ArrayList<>();
        for (int c = 0; c < 4; c++) {
            int client = c;
            running.add(clients.submit(() -> {
                // Keep-alive connections opened before the first reload: none may be closed by one.
                try (RawHttpClient connection = proxy.connect()) {
                    for (int i = 0; reloading.get() || i < 5; i++) {
                        String target = client % 2 == 0 ? "/__slow?delayMs=30&c=" + client + "&i=" + i
                                : "/two?c=" + client + "&i=" + i;
                        connection.send("GET " + target + " HTTP/1.1\r\nHost: a\r\n\r\n");
                        RawResponse response = connection.readResponse();
                        if (response.status() != 200 || !response.bodyText().endsWith(target)) {
                            failures.add(target + " -> " + response);
                        }
                        completed.incrementAndGet();
                    }
                } catch (IOException | RuntimeException e) {
                    failures.add("client " + client + ": " + e);
                }
                return null;
            }));
        }
        try {
            await().atMost(WAIT).until(() -> completed.get() >= 4);
            for (int generation = 2; generation < 22; generation++) {
                // Alternate the catch-all between the two backends; both answer 200.
                proxy.reconfigure(site(generation, generation % 2 == 0 ? two : one, two.port(), ""));
            }
        } finally {
            reloading.set(false);
        }
        for (Future<?> client : running) {
            client.get(WAIT.toSeconds() * 3, TimeUnit.SECONDS);
        }
        clients.shutdown();

        assertThat(failures).isEmpty();
        assertThat(metric("portico_config_reloads_total{result=\"applied\"}")).isEqualTo(appliedBefore + 20);
        assertThat(config().get("generation").asLong()).isEqualTo(21);
        assertThat(completed.get()).isGreaterThanOrEqualTo(20);
        assertThat(proxy.get("/x").bodyText()).isEqualTo("ok one GET /x");
    }

    private JsonNode config() throws IOException, InterruptedException {
        HttpResponse<String> response = admin("/config");
        assertThat(response.statusCode()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    private double metric(String series) throws IOException, InterruptedException {
        String text = admin("/metrics").body();
        Matcher m = Pattern.compile("^" + Pattern.quote(series) + " (\\S+)$", Pattern.MULTILINE).matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    private HttpResponse<String> admin(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.adminPort() + path))
                .timeout(WAIT).build(), HttpResponse.BodyHandlers.ofString());
    }
}
