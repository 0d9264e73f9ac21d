package dev.portico.runtime.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portico.runtime.testing.RawHttpClient;
import dev.portico.runtime.testing.RunningProxy;
import dev.portico.runtime.testing.TestBackend;
import java.io.IOException;
import java.net.SocketException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * limits.maxConnectionsPerClient over real loopback sockets: 127.0.0.1 and 127.0.0.2 are two clients (Linux routes
 * all of 127/8 to lo). A connection over the cap is closed before any byte is read; other addresses, and trusted
 * proxies, are not affected.
 */
@Timeout(60)
class ConnectionsPerClientTest {

    private static final int CAP = 3;
    private static final String REFUSED = "portico_connections_refused_total{reason=\"max_connections_per_client\"}";
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;
    TestBackend backend;
    RunningProxy proxy;
    final List<RawHttpClient> clients = new ArrayList<>();

    @BeforeEach
    void start() {
        backend = TestBackend.start("app");
    }

    @AfterEach
    void stop() throws IOException {
        for (RawHttpClient client : clients) {
            client.close();
        }
        if (proxy != null) {
            proxy.close();
        }
        backend.close();
    }

    @Test
    void aClientOverTheCapIsRefusedWhileAnotherAddressIsServed() throws Exception {
        proxy = RunningProxy.start(dir, RunningProxy.siteFor(backend, "limits: {maxConnectionsPerClient: " + CAP + "}"));
        for (int i = 0; i < CAP; i++) {
            assertServed(open("127.0.0.1"));
        }

        assertThat(refused("127.0.0.1")).as("the connection over the cap is closed at once").isTrue();
        assertThat(proxy.metric(REFUSED)).isEqualTo(1.0);

        assertServed(open("127.0.0.2"));
        // The capped client's own connections carry on.
        assertServed(clients.get(0));
    }

    @Test
    void aClosedConnectionMakesRoomForANewOne() throws Exception {
        proxy = RunningProxy.start(dir, RunningProxy.siteFor(backend, "limits: {maxConnectionsPerClient: 1}"));
        RawHttpClient first = open("127.0.0.1");
        assertServed(first);
        assertThat(refused("127.0.0.1")).isTrue();

        first.close();
        // The count drops on the runtime's close event, a moment after ours.
        await().atMost(WAIT).until(() -> !refused("127.0.0.1", Duration.ofMillis(200)));
        assertServed(clients.get(clients.size() - 1));
    }

    @Test
    void trustedProxiesAreExemptSinceEveryClientSharesTheirAddress() throws Exception {
        proxy = RunningProxy.start(dir, RunningProxy.siteFor(backend, """
                trustedProxies: {cidrs: ["127.0.0.1/32"]}
                limits: {maxConnectionsPerClient: 1}"""));
        for (int i = 0; i < 3; i++) {
            assertServed(open("127.0.0.1"));
        }
        // Another, untrusted, address is still held to the cap.
        assertServed(open("127.0.0.2"));
        assertThat(refused("127.0.0.2")).isTrue();
        assertThat(proxy.metric(REFUSED)).isEqualTo(1.0);
    }

    private RawHttpClient open(String source) throws IOException {
        RawHttpClient client = RawHttpClient.connectFrom(source, proxy.httpPort());
        clients.add(client);
        return client;
    }

    /** {@link #refused(String, Duration)} with a 2 s wait. */
    private boolean refused(String source) throws IOException {
        return refused(source, Duration.ofSeconds(2));
    }

    /**
     * Whether a new connection from {@code source} is reset or closed by the runtime without a byte: the reset can
     * even beat connect() back on loopback, which then fails with "connection reset".
     */
    private boolean refused(String source, Duration wait) throws IOException {
        RawHttpClient client;
        try {
            client = open(source);
        } catch (SocketException e) {
            return true;
        }
        return client.isClosedByPeer(wait);
    }

    private static void assertServed(RawHttpClient client) throws IOException {
        client.send("GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
        assertThat(client.readResponse().status()).isEqualTo(200);
    }
}
