package dev.portico.runtime.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portico.runtime.testing.RawHttpClient;
import dev.portico.runtime.testing.RawResponse;
import dev.portico.runtime.testing.RunningProxy;
import dev.portico.runtime.testing.TestBackend;
import java.io.IOException;
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
 * limits.maxRequestsInFlightPerClient over HTTP/1.1 and real loopback sockets: each connection holds one upload
 * open (the backend waits for the rest of the body), so requests in flight are connections with a request under
 * way. 127.0.0.1 and 127.0.0.2 are two clients. The HTTP/2 side is {@code tls.RequestsInFlightTest}.
 */
@Timeout(60)
class RequestsInFlightPerClientTest {

    private static final String REFUSED = "portico_requests_refused_total{reason=\"max_requests_in_flight_per_client\"}";
    private static final String IN_FLIGHT = "portico_requests_in_flight";
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String UPLOAD_HEAD = "POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 8\r\n\r\nhalf";

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
    void theRequestOverTheLimitGets503WhileAnotherAddressIsServed() throws Exception {
        proxy = RunningProxy.start(dir, RunningProxy.siteFor(backend, "limits: {maxRequestsInFlightPerClient: 3}"));
        List<RawHttpClient> uploads = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            uploads.add(open("127.0.0.1").send(UPLOAD_HEAD));
        }
        await().atMost(WAIT).until(() -> backend.openConnections() == 3);

        RawHttpClient fourth = open("127.0.0.1").send("GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
        RawResponse refused = fourth.readResponse();
        assertThat(refused.status()).isEqualTo(503);
        assertThat(refused.header("Retry-After")).isEqualTo("1");
        assertThat(refused.header("Connection")).isEqualTo("close");
        assertThat(fourth.isClosedByPeer(WAIT)).isTrue();
        assertThat(proxy.metric(REFUSED)).isEqualTo(1.0);
        assertThat(backend.openConnections()).as("the refused request never reached the backend").isEqualTo(3);

        assertServed(open("127.0.0.2"));

        // The uploads end; the count returns to zero and the same address gets its three again.
        for (RawHttpClient upload : uploads) {
            upload.send("rest");
            assertThat(upload.readResponse().status()).isEqualTo(200);
        }
        await().atMost(WAIT).until(() -> proxy.metric(IN_FLIGHT) == 0.0);
        for (RawHttpClient upload : uploads) {
            upload.send(UPLOAD_HEAD);
        }
        await().atMost(WAIT).until(() -> proxy.metric(IN_FLIGHT) == 3.0);
        assertThat(proxy.metric(REFUSED)).isEqualTo(1.0);
    }

    @Test
    void clientsThatLeaveAndBackendsThatFailGiveTheirCountBack() throws Exception {
        proxy = RunningProxy.start(dir, RunningProxy.siteFor(backend, "limits: {maxRequestsInFlightPerClient: 2}"));
        RawHttpClient leaving = open("127.0.0.1").send(UPLOAD_HEAD);
        RawHttpClient failing = open("127.0.0.1").send(UPLOAD_HEAD);
        await().atMost(WAIT).until(() -> backend.openConnections() == 2);

        leaving.close();
        await().atMost(WAIT).until(() -> proxy.metric(IN_FLIGHT) == 1.0);
        backend.closeConnections();
        assertThat(failing.readResponse().status()).isEqualTo(502);
        await().atMost(WAIT).until(() -> proxy.metric(IN_FLIGHT) == 0.0);

        open("127.0.0.1").send(UPLOAD_HEAD);
        open("127.0.0.1").send(UPLOAD_HEAD);
        await().atMost(WAIT).until(() -> proxy.metric(IN_FLIGHT) == 2.0);
        assertThat(proxy.metric(REFUSED)).isZero();
    }

    @Test
    void trustedProxiesAreExemptSinceEveryClientSharesTheirAddress() throws Exception {
        proxy = RunningProxy.start(dir, RunningProxy.siteFor(backend, """
                trustedProxies: {cidrs: ["127.0.0.1/32"]}
                limits: {maxRequestsInFlightPerClient: 1}"""));
        for (int i = 0; i < 3; i++) {
            open("127.0.0.1").send(UPLOAD_HEAD);
        }
        await().atMost(WAIT).until(() -> backend.openConnections() == 3);

        // Another, untrusted, address is still held to the limit.
        open("127.0.0.2").send(UPLOAD_HEAD);
        await().atMost(WAIT).until(() -> backend.openConnections() == 4);
        assertThat(open("127.0.0.2").send("GET /x HTTP/1.1\r\nHost: a\r\n\r\n").readResponse().status()).isEqualTo(503);
        assertThat(proxy.metric(REFUSED)).isEqualTo(1.0);
    }

    private RawHttpClient open(String source) throws IOException {
        RawHttpClient client = RawHttpClient.connectFrom(source, proxy.httpPort());
        clients.add(client);
        return client;
    }

    private static void assertServed(RawHttpClient client) throws IOException {
        client.send("GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
        assertThat(client.readResponse().status()).isEqualTo(200);
    }
}
