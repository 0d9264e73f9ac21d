package dev.portico.runtime.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portico.crds.bundle.BundleFiles;
import dev.portico.crds.bundle.ConfigPush;
import dev.portico.runtime.testing.AdminClient;
import dev.portico.runtime.testing.MountedBundle;
import dev.portico.runtime.testing.RawHttpClient;
import dev.portico.runtime.testing.RawResponse;
import dev.portico.runtime.testing.RunningProxy;
import dev.portico.runtime.testing.TestBackend;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16, item 5: the admin port bounds its clients as the proxy listeners do (a head
 * timeout from the first byte, idle connections closed, a connection cap per address) and a
 * request body by a timeout of its own, while {@code /healthz}, {@code /metrics} and
 * {@code PUT /config} keep working. Short limits, so nothing waits long.
 */
@Timeout(60)
class AdminClientBoundsTest {

    private static final String TOKEN = "tok-admin-bounds";
    private static final Duration HEAD = Duration.ofMillis(600);
    private static final Duration IDLE = Duration.ofMillis(1200);
    private static final Duration BODY = Duration.ofMillis(1000);
    private static final int CAP = 4;
    private static final String REFUSED =
            "portico_connections_refused_total{reason=\"admin_max_connections_per_client\"}";

    @TempDir
    Path dir;
    TestBackend backend;
    RunningProxy proxy;
    AdminClient admin;
    long revision = 100;
    final List<RawHttpClient> clients = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        backend = TestBackend.start("app");
        Path tokenFile = Files.writeString(dir.resolve("token"), TOKEN + "\n");
        MountedBundle mounted = MountedBundle.mount(dir.resolve("mount"), files(1), revision);
        proxy = RunningProxy.start(mounted, tokenFile, new AdminLimits(HEAD, IDLE, BODY, CAP));
        admin = proxy.admin();
    }

    @AfterEach
    void stop() throws Exception {
        for (RawHttpClient client : clients) {
            client.close();
        }
        proxy.close();
        backend.close();
    }

    private Map<String, String> files(int generation) {
        return Map.of(BundleFiles.SITE_FILE, RunningProxy.siteFor(backend, "")
                .replace("generation: 1", "generation: " + generation));
    }

    private RawHttpClient connect() throws Exception {
        RawHttpClient client = RawHttpClient.connect(proxy.adminPort());
        clients.add(client);
        return client;
    }

    @Test
    void aHalfSentHeadDrippingLinesGets408AtTheHeadTimeoutAndIsClosed() throws Exception {
        RawHttpClient client = connect();
        long start = System.nanoTime();
        client.send("GET /healthz HTTP/1.1\r\nHost: admin\r\n");
        for (int i = 0; i < 3; i++) {
            Thread.sleep(100); // slowloris: a header line now and then, never the end of the head
            client.send("X-Drip-" + i + ": 1\r\n");
        }

        RawResponse response = client.readResponse();

        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(response.status()).isEqualTo(408);
        assertThat(response.header("Connection")).isEqualTo("close");
        assertThat(took).isBetween(HEAD.minusMillis(100), HEAD.plusSeconds(3));
        assertThat(client.isClosedByPeer()).isTrue();
    }

    @Test
    void aConnectionThatSendsNothingGets408AtTheHeadTimeout() throws Exception {
        RawHttpClient client = connect();

        RawResponse response = client.readResponse();

        assertThat(response.status()).isEqualTo(408);
        assertThat(client.isClosedByPeer()).isTrue();
    }

    @Test
    void anIdleKeepAliveConnectionIsClosedAfterTheIdleTimeout() throws Exception {
        RawHttpClient client = connect();
        client.send("GET /healthz HTTP/1.1\r\nHost: admin\r\n\r\n");
        assertThat(client.readResponse().status()).isEqualTo(200);
        // Still served while used within the idle time: the timers restart per request.
        for (int i = 0; i < 3; i++) {
            Thread.sleep(IDLE.toMillis() / 3);
            client.send("GET /metrics HTTP/1.1\r\nHost: admin\r\n\r\n");
            assertThat(client.readResponse().status()).isEqualTo(200);
        }
        long idleFrom = System.nanoTime();

        assertThat(client.isClosedByPeer(IDLE.plusSeconds(3))).isTrue();

        assertThat(Duration.ofNanos(System.nanoTime() - idleFrom)).isGreaterThan(IDLE.minusMillis(100));
    }

    @Test
    void aPushWhoseBodyStallsGets408AtTheBodyTimeoutAndChangesNothing() throws Exception {
        RawHttpClient client = connect();
        long start = System.nanoTime();
        client.send(AdminClient.putHead(4096, "Authorization: Bearer " + TOKEN));
        client.send("{\"revision\": 101, ".getBytes(StandardCharsets.US_ASCII));

        RawResponse response = client.readResponse();

        assertThat(response.status()).isEqualTo(408);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(BODY.minusMillis(100), BODY.plusSeconds(3));
        assertThat(client.isClosedByPeer()).isTrue();
        assertThat(admin.config().get("revision").asLong()).isEqualTo(revision);
    }

    @Test
    void anyOtherRequestWhoseBodyStallsGets408Too() throws Exception {
        RawHttpClient client = connect();
        client.send("POST /healthz HTTP/1.1\r\nHost: admin\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n");

        RawResponse response = client.readResponse();

        assertThat(response.status()).isEqualTo(408);
        assertThat(client.isClosedByPeer()).isTrue();
    }

    /** Refused on its head (no token), answered at once; the body it then owes must still come in time. */
    @Test
    void aRefusedPushWhoseBodyNeverComesIsClosedAtTheBodyTimeout() throws Exception {
        RawHttpClient client = connect();
        client.send(AdminClient.putHead(4096, "Authorization: Bearer wrong"));

        assertThat(client.readResponse().status()).isEqualTo(401);
        long answered = System.nanoTime();

        assertThat(client.isClosedByPeer(BODY.plusSeconds(3))).isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - answered)).isLessThan(BODY.plusSeconds(2));
    }

    @Test
    void connectionsOverTheCapPerAddressAreResetWhileAnotherAddressIsServed() throws Exception {
        List<RawHttpClient> held = new ArrayList<>();
        for (int i = 0; i < CAP; i++) {
            RawHttpClient client = connect();
            client.send("GET /healthz HTTP/1.1\r\nHost: admin\r\n\r\n");
            assertThat(client.readResponse().status()).isEqualTo(200);
            held.add(client);
        }

        try {
            RawHttpClient over = connect();
            over.send("GET /healthz HTTP/1.1\r\nHost: admin\r\n\r\n");
            assertThat(over.readUntilClosedOrReset()).as("refused at accept, nothing answered").isEmpty();
        } catch (SocketException resetWhileConnecting) {
            // The reset can land before the client's connect returns: refused all the same.
        }

        RawHttpClient other = RawHttpClient.connectFrom("127.0.0.2", proxy.adminPort());
        clients.add(other);
        other.send("GET /healthz HTTP/1.1\r\nHost: admin\r\nConnection: close\r\n\r\n");
        assertThat(other.readResponse().status()).as("another address is not capped").isEqualTo(200);

        held.get(0).close();
        await().atMost(Duration.ofSeconds(5)).untilAsserted(
                () -> assertThat(admin.get("/healthz").status()).isEqualTo(200));
        assertThat(admin.metric(REFUSED)).isGreaterThanOrEqualTo(1.0);
    }

    @Test
    void healthMetricsAndPushesKeepWorkingUnderTheBounds() throws Exception {
        assertThat(admin.get("/healthz").status()).isEqualTo(200);
        assertThat(admin.get("/metrics").bodyText()).contains("portico_connections_open");

        // A push whose body comes in pieces, each well within the body timeout.
        byte[] push = ConfigPush.of(101, files(2)).toJson();
        RawHttpClient client = connect();
        client.send(AdminClient.putHead(push.length, "Authorization: Bearer " + TOKEN));
        int third = push.length / 3;
        client.send(java.util.Arrays.copyOfRange(push, 0, third));
        Thread.sleep(BODY.toMillis() / 5);
        client.send(java.util.Arrays.copyOfRange(push, third, 2 * third));
        Thread.sleep(BODY.toMillis() / 5);
        client.send(java.util.Arrays.copyOfRange(push, 2 * third, push.length));
        RawResponse applied = client.readResponse();
        assertThat(applied.status()).as("%s", applied.bodyText()).isEqualTo(200);
        assertThat(AdminClient.json(applied).get("revision").asLong()).isEqualTo(101);

        // The same connection serves on: health and metrics after the push, then a second push.
        client.send("GET /healthz HTTP/1.1\r\nHost: admin\r\n\r\n");
        assertThat(client.readResponse().status()).isEqualTo(200);
        client.send("GET /metrics HTTP/1.1\r\nHost: admin\r\n\r\n");
        assertThat(client.readResponse().bodyText()).contains("portico_config_push_total");
        assertThat(admin.push(ConfigPush.of(102, files(3)), TOKEN).status()).isEqualTo(200);
        assertThat(admin.config().get("revision").asLong()).isEqualTo(102);
        assertThat(proxy.get("/after").status()).isEqualTo(200);
    }

    @Test
    void aLargePushWellWithinTheBodyTimeoutIsApplied() throws Exception {
        // About 4 MiB: the site padded with a comment, as a bundle with big certificates would be.
        String padded = RunningProxy.siteFor(backend, "").replace("generation: 1", "generation: 4")
                + "#" + "x".repeat(4 * 1024 * 1024) + "\n";
        ConfigPush push = ConfigPush.of(104, Map.of(BundleFiles.SITE_FILE, padded));

        // The body bound (1 s here) is what is tested; compiling 4 MiB of YAML after it may take
        // seconds on a busy machine, which no bound here limits, so the answer is awaited longer.
        RawResponse answer;
        byte[] body = push.toJson();
        try (RawHttpClient client = RawHttpClient.connect(admin.port()).readTimeout(Duration.ofSeconds(60))) {
            client.send(AdminClient.putHead(body.length, "Authorization: Bearer " + TOKEN));
            client.send(body);
            answer = client.readResponse();
        }

        assertThat(answer.status()).as("%s", answer.bodyText()).isEqualTo(200);
    }
}
