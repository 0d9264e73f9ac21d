package dev.portico.runtime.server;

import static dev.portico.runtime.server.ProxyHeaders.concat;
import static dev.portico.runtime.server.ProxyHeaders.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portico.runtime.testing.RawHttpClient;
import dev.portico.runtime.testing.RawResponse;
import dev.portico.runtime.testing.RecordedRequest;
import dev.portico.runtime.testing.RunningProxy;
import dev.portico.runtime.testing.TestBackend;
import dev.portico.runtime.tls.TestCertificates;
import dev.portico.runtime.tls.TestCertificates.KeyFormat;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code spec.proxyProtocol} over real loopback sockets, with headers written by hand: the carried
 * address is the client for forwarded headers, access control, rate limits and the per-client caps;
 * LOCAL keeps the TCP peer; every way of not sending a good header ends the connection unanswered
 * and is counted. 127.0.0.1 is the load balancer (the only trusted peer), 127.0.0.2 a stranger.
 */
@Timeout(60)
class ProxyProtocolTest {

    private static final String TRUSTED = "trustedProxies: {cidrs: [\"127.0.0.1/32\"]}";
    private static final String ON = "proxyProtocol: true\n" + TRUSTED;
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;
    TestBackend backend;
    RunningProxy proxy;
    final List<RawHttpClient> clients = new ArrayList<>();

    @BeforeEach
    void startBackend() {
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

    // ---- the carried address is the client ----

    @Test
    void theV1AddressIsTheClientAndItsForwardedClaimsAreDropped() throws Exception {
        start(ON);
        RawHttpClient client = open("127.0.0.1");
        client.send(ProxyHeaders.v1("203.0.113.7", proxy.httpPort())
                + "GET /v1 HTTP/1.1\r\nHost: app.example.com\r\nX-Forwarded-For: 198.51.100.1\r\nX-Real-IP: 1.1.1.1\r\n\r\n");
        assertThat(client.readResponse().status()).isEqualTo(200);

        RecordedRequest seen = backend.takeRequest();
        assertThat(seen.header("X-Real-IP")).isEqualTo("203.0.113.7");
        assertThat(seen.headers("X-Forwarded-For")).containsExactly("203.0.113.7");

        // The same connection carries on with the same client.
        client.send(get("/again"));
        assertThat(client.readResponse().status()).isEqualTo(200);
        assertThat(backend.takeRequest().header("X-Real-IP")).isEqualTo("203.0.113.7");
    }

    @Test
    void theV2AddressIsTheClientOverIpv6AndWhenTheRequestComesInALaterSegment() throws Exception {
        start(ON);
        RawHttpClient client = open("127.0.0.1");
        client.send(ProxyHeaders.v2("2001:db8::7", proxy.httpPort()));
        Thread.sleep(100); // the header alone first, as a balancer that connects before its client speaks
        client.send(get("/v2"));
        assertThat(client.readResponse().status()).isEqualTo(200);

        RecordedRequest seen = backend.takeRequest();
        assertThat(seen.header("X-Real-IP")).isEqualTo("2001:db8::7");
        assertThat(seen.header("X-Forwarded-For")).isEqualTo("2001:db8::7");
    }

    /**
     * The documented choice: the carried address is treated as a TCP peer would be. When it is itself a
     * trusted proxy (a CDN in front of the balancer, listed in cidrs), its X-Forwarded-For is walked.
     */
    @Test
    void aCarriedAddressThatIsATrustedProxyHasItsForwardedForWalked() throws Exception {
        start("proxyProtocol: true\ntrustedProxies: {cidrs: [\"127.0.0.1/32\", \"10.0.0.0/8\"]}");
        RawHttpClient client = open("127.0.0.1");
        client.send(ProxyHeaders.v1("10.1.2.3", proxy.httpPort())
                + "GET /cdn HTTP/1.1\r\nHost: app.example.com\r\nX-Forwarded-For: 198.51.100.9\r\n\r\n");
        assertThat(client.readResponse().status()).isEqualTo(200);

        RecordedRequest seen = backend.takeRequest();
        assertThat(seen.header("X-Real-IP")).isEqualTo("198.51.100.9");
        assertThat(seen.header("X-Forwarded-For")).isEqualTo("198.51.100.9, 10.1.2.3");
    }

    @Test
    void aLocalCommandOrAnUnknownFamilyKeepsTheTcpPeer() throws Exception {
        start(ON);
        RawHttpClient local = open("127.0.0.1");
        local.send(concat(ProxyHeaders.v2Local(), get("/health")));
        assertThat(local.readResponse().status()).isEqualTo(200);
        assertThat(backend.takeRequest().header("X-Real-IP")).isEqualTo("127.0.0.1");

        RawHttpClient unknown = open("127.0.0.1");
        unknown.send("PROXY UNKNOWN\r\n" + get("/unknown"));
        assertThat(unknown.readResponse().status()).isEqualTo(200);
        assertThat(backend.takeRequest().header("X-Real-IP")).isEqualTo("127.0.0.1");
    }

    @Test
    void accessControlAndRateLimitGoByTheCarriedAddress() throws Exception {
        start(ON + """

                accessControl: {deny: ["203.0.113.0/24"]}
                rateLimit: {requestsPerSecond: 1, burst: 1}""");

        assertThat(viaBalancer("203.0.113.7", "/denied").status()).isEqualTo(403);
        // A dual-stack balancer names IPv4 clients by their IPv4-mapped IPv6 address: the IPv4 CIDR holds.
        assertThat(viaBalancer("::ffff:203.0.113.8", "/mapped").status()).isEqualTo(403);

        assertThat(viaBalancer("198.51.100.1", "/first").status()).isEqualTo(200);
        RawResponse second = viaBalancer("198.51.100.1", "/second");
        assertThat(second.status()).isEqualTo(429);
        assertThat(second.header("Retry-After")).isNotNull();
        // Another client behind the same balancer has its own bucket.
        assertThat(viaBalancer("198.51.100.2", "/other").status()).isEqualTo(200);
    }

    @Test
    void theConnectionCapCountsEachCarriedAddressNotTheBalancer() throws Exception {
        start(ON + "\nlimits: {maxConnectionsPerClient: 1}");
        RawHttpClient first = open("127.0.0.1");
        first.send(ProxyHeaders.v1("198.51.100.1", proxy.httpPort()) + get("/first"));
        assertThat(first.readResponse().status()).isEqualTo(200);

        RawHttpClient second = open("127.0.0.1");
        second.send(ProxyHeaders.v1("198.51.100.1", proxy.httpPort()) + get("/second"));
        assertThat(second.isClosedByPeer(WAIT)).as("a second connection of the same client is reset").isTrue();
        assertThat(proxy.metric("portico_connections_refused_total{reason=\"max_connections_per_client\"}"))
                .isEqualTo(1.0);

        // The balancer itself is not capped: another client's connection through it is served.
        RawHttpClient other = open("127.0.0.1");
        other.send(ProxyHeaders.v1("198.51.100.2", proxy.httpPort()) + get("/other"));
        assertThat(other.readResponse().status()).isEqualTo(200);
        assertThat(backend.requests()).extracting(RecordedRequest::uri).containsExactly("/first", "/other");
    }

    // ---- refusals ----

    @Test
    void everyConnectionWithoutAGoodHeaderIsClosedUnansweredAndCounted() throws Exception {
        start(ON);

        // A valid header from a peer that is not a trusted proxy: reset before a byte is read.
        assertRefused("127.0.0.2", ProxyHeaders.v1("203.0.113.7", proxy.httpPort()) + get("/stranger"));
        // Plain HTTP straight to the listener.
        assertRefused("127.0.0.1", get("/plain"));
        // A header that is not one.
        assertRefused("127.0.0.1", "PROXY TCP4 999.0.0.1 127.0.0.1 1 2\r\n" + get("/malformed"));
        // v2 with a version nibble that does not exist.
        byte[] badVersion = ProxyHeaders.v2("203.0.113.7", proxy.httpPort());
        badVersion[12] = 0x31;
        RawHttpClient v3 = open("127.0.0.1");
        v3.send(concat(badVersion, get("/v3")));
        assertThat(v3.isClosedByPeer(WAIT)).isTrue();
        // Part of a header, then the balancer goes away.
        RawHttpClient truncated = open("127.0.0.1");
        truncated.send("PROXY TCP4 203.0");
        truncated.shutdownOutput();
        assertThat(truncated.isClosedByPeer(WAIT)).isTrue();
        // A TCP health check: connect and close. Not a refusal.
        open("127.0.0.1").close();

        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(refusals("untrusted_peer")).isEqualTo(1.0);
            assertThat(refusals("missing")).isEqualTo(1.0);
            assertThat(refusals("malformed")).isEqualTo(2.0);
            assertThat(refusals("truncated")).isEqualTo(1.0);
        });
        assertThat(refusals("timeout")).isZero();
        assertThat(backend.pollRequest(Duration.ofMillis(200))).isEmpty();
    }

    @Test
    void aHeaderSentOneByteAtATimeIsCutByTheRequestHeaderTimeout() throws Exception {
        start(ON + "\nlimits: {requestHeaderTimeout: 1s}");
        RawHttpClient slow = open("127.0.0.1");
        byte[] header = ProxyHeaders.v1("203.0.113.7", proxy.httpPort()).getBytes(StandardCharsets.US_ASCII);
        long started = System.nanoTime();
        boolean closed = false;
        try {
            for (int i = 0; i < header.length && !closed; i++) {
                slow.send(new byte[] {header[i]});
                closed = slow.isClosedByPeer(Duration.ofMillis(250));
            }
        } catch (SocketException e) {
            closed = true; // the reset reached us first
        }
        assertThat(closed).as("closed before the header was complete").isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isBetween(Duration.ofMillis(900), Duration.ofSeconds(5));
        assertThat(refusals("timeout")).isEqualTo(1.0);
    }

    // ---- TLS, and reload ----

    @Test
    void tlsFollowsTheHeaderAndAClientHelloWithoutOneIsRefused() throws Exception {
        TestCertificates.Ca ca = TestCertificates.newCa("Portico Test CA");
        TestCertificates.write(dir.resolve("secrets"), "site-tls",
                ca.issue(TestCertificates.leaf("site").sans("app.example.com")), KeyFormat.PKCS8);
        start(ON + "\ntls: {certificates: [{secretName: site-tls}], httpRedirect: false}");
        int port = proxy.runtime().httpsPort();

        Socket plain = new Socket();
        plain.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        plain.getOutputStream().write(ProxyHeaders.v2("203.0.113.7", port));
        SSLSocket tls = (SSLSocket) ca.clientContext().getSocketFactory().createSocket(plain, "app.example.com", port, true);
        SSLParameters parameters = tls.getSSLParameters();
        parameters.setServerNames(List.of(new SNIHostName("app.example.com")));
        tls.setSSLParameters(parameters);
        tls.startHandshake();
        RawHttpClient client = RawHttpClient.over(tls);
        clients.add(client);
        client.send(get("/tls"));
        assertThat(client.readResponse().status()).isEqualTo(200);
        RecordedRequest seen = backend.takeRequest();
        assertThat(seen.header("X-Real-IP")).isEqualTo("203.0.113.7");
        assertThat(seen.header("X-Forwarded-Proto")).isEqualTo("https");

        // A ClientHello straight from a client: refused at its first byte.
        RawHttpClient hello = RawHttpClient.connect(port);
        clients.add(hello);
        hello.send(new byte[] {0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x00});
        assertThat(hello.isClosedByPeer(WAIT)).isTrue();
        await().atMost(WAIT).until(() -> refusals("missing") == 1.0);
    }

    @Test
    void aReloadAppliesToConnectionsOpenedAfterIt() throws Exception {
        start(TRUSTED);
        RawHttpClient before = open("127.0.0.1");
        before.send(get("/before"));
        assertThat(before.readResponse().status()).isEqualTo(200);

        proxy.reconfigure(RunningProxy.siteFor(backend, ON));
        // A connection accepted before the change keeps speaking plain HTTP.
        before.send(get("/still"));
        assertThat(before.readResponse().status()).isEqualTo(200);
        // New ones need the header.
        assertRefused("127.0.0.1", get("/plain"));
        assertThat(viaBalancer("203.0.113.7", "/proxied").status()).isEqualTo(200);

        proxy.reconfigure(RunningProxy.siteFor(backend, TRUSTED));
        RawHttpClient after = open("127.0.0.1");
        after.send(get("/after"));
        assertThat(after.readResponse().status()).isEqualTo(200);
        assertThat(backend.requests()).extracting(r -> r.uri() + " " + r.header("X-Real-IP")).containsExactly(
                "/before 127.0.0.1", "/still 127.0.0.1", "/proxied 203.0.113.7", "/after 127.0.0.1");
    }

    // ---- helpers ----

    private void start(String extraSpec) {
        proxy = RunningProxy.start(dir, RunningProxy.siteFor(backend, extraSpec));
    }

    private RawHttpClient open(String source) throws IOException {
        RawHttpClient client = RawHttpClient.connectFrom(source, proxy.httpPort());
        clients.add(client);
        return client;
    }

    /** One request from the balancer (127.0.0.1) on behalf of {@code client}, on a connection of its own. */
    private RawResponse viaBalancer(String client, String path) throws IOException {
        RawHttpClient connection = open("127.0.0.1");
        connection.send(ProxyHeaders.v1(client, proxy.httpPort()) + get(path));
        return connection.readResponse();
    }

    /** Sends {@code bytes} from {@code source} and expects the connection to close without an answer. */
    private void assertRefused(String source, String bytes) throws IOException {
        RawHttpClient client;
        try {
            client = open(source);
            client.send(bytes);
        } catch (SocketException e) {
            return; // reset before connect() or the write returned
        }
        byte[] answer = client.readUntilClosedOrReset();
        assertThat(new String(answer, StandardCharsets.ISO_8859_1)).as("no answer at all").isEmpty();
    }

    private double refusals(String reason) {
        Double value = proxy.metric("portico_proxy_protocol_refused_total{reason=\"" + reason + "\"}");
        return Optional.ofNullable(value).orElseThrow(() -> new AssertionError("no series for " + reason));
    }
}
