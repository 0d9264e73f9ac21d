package dev.portico.runtime.upstream;

import static dev.portico.runtime.testing.ScriptedBackend.after;
import static dev.portico.runtime.testing.ScriptedBackend.now;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portico.runtime.testing.RawHttpClient;
import dev.portico.runtime.testing.RawResponse;
import dev.portico.runtime.testing.RunningProxy;
import dev.portico.runtime.testing.ScriptedBackend;
import dev.portico.runtime.testing.ScriptedBackend.Write;
import dev.portico.runtime.tls.TestCertificates;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A backend that sends bytes after the end of a response (a body on HEAD, 204 or 304, more than Content-Length,
 * anything after the last chunk, a response nobody asked for, at once or later while the connection idles in the
 * pool) must not get those bytes read as the start of the next client's response: the connection is closed, never
 * reused, and counted. Each case: client A's request meets the misbehaving answer, then client B, on another
 * connection of the same event loop (one worker, so one pool), must get the backend's real answer on a new backend
 * connection, with no trace of the attacker's {@code Set-Cookie}.
 */
@Timeout(60)
class UnsolicitedUpstreamBytesTest {

    static final String DISCARDED = "portico_upstream_connections_discarded_total{reason=\"unsolicited_bytes\"}";
    static final String NOT_IDLE = "portico_upstream_connections_discarded_total{reason=\"not_idle\"}";
    static final String REUSES = "portico_upstream_reuses_total";
    /** The start of a response head that would hand the next client the attacker's session, if ever completed. */
    static final String PARTIAL_HEAD = "HTTP/1.1 200 OK\r\nSet-Cookie: session=attacker\r\nX-Swallow: ";
    static final String WHOLE_RESPONSE = "HTTP/1.1 200 OK\r\nSet-Cookie: session=attacker\r\nContent-Length: 5\r\n\r\nevil!";
    static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    @TempDir
    Path dir;
    ScriptedBackend backend;
    RunningProxy proxy;

    @BeforeEach
    void start() {
        backend = ScriptedBackend.start();
        proxy = RunningProxy.startOnOneEventLoop(dir, site(backend.port()));
    }

    @AfterEach
    void stop() {
        proxy.close();
        backend.close();
    }

    static Stream<Arguments> misbehaviours() {
        return Stream.of(
                Arguments.of("body on HEAD", "HEAD", 200, new Write[] {
                    now("HTTP/1.1 200 OK\r\nContent-Length: " + PARTIAL_HEAD.length() + "\r\n\r\n" + PARTIAL_HEAD)}),
                Arguments.of("body on 204", "GET", 204, new Write[] {
                    now("HTTP/1.1 204 No Content\r\n\r\n" + PARTIAL_HEAD)}),
                Arguments.of("body on 304", "GET", 304, new Write[] {
                    now("HTTP/1.1 304 Not Modified\r\nContent-Length: 2\r\n\r\n" + PARTIAL_HEAD)}),
                Arguments.of("more than Content-Length", "GET", 200, new Write[] {
                    now(OK + ", and a tail the length did not count")}),
                Arguments.of("bytes after the last chunk", "GET", 200, new Write[] {
                    now("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n" + PARTIAL_HEAD)}),
                Arguments.of("a whole second response", "GET", 200, new Write[] {now(OK + WHOLE_RESPONSE)}),
                Arguments.of("a partial second head in the same write", "GET", 200, new Write[] {
                    now(OK + PARTIAL_HEAD)}),
                Arguments.of("a partial second head 100 ms later", "GET", 200, new Write[] {
                    now(OK), after(Duration.ofMillis(100), PARTIAL_HEAD)}),
                Arguments.of("a whole second response 100 ms later", "GET", 200, new Write[] {
                    now(OK), after(Duration.ofMillis(100), WHOLE_RESPONSE)}),
                Arguments.of("empty lines, then a partial head", "GET", 200, new Write[] {
                    now(OK + "\r\n\r\n" + PARTIAL_HEAD)}),
                Arguments.of("empty lines 100 ms later", "GET", 200, new Write[] {
                    now(OK), after(Duration.ofMillis(100), "\r\n\r\n")}),
                Arguments.of("a garbage line, then a partial head", "GET", 200, new Write[] {
                    now(OK + "garbage\r\n" + PARTIAL_HEAD)}),
                Arguments.of("bytes after a 103, then the final response", "GET", 200, new Write[] {
                    now("HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n" + OK + PARTIAL_HEAD)}),
                Arguments.of("the final response after a 100, with bytes after it, in separate writes", "GET", 200,
                        new Write[] {
                            now("HTTP/1.1 100 Continue\r\n\r\n"), after(Duration.ofMillis(20), OK),
                            after(Duration.ofMillis(20), PARTIAL_HEAD)}));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("misbehaviours")
    void bytesAfterTheEndOfAResponseNeverReachTheNextClient(String name, String method, int status, Write[] answer)
            throws IOException {
        misbehaveThenServeAnotherClient(method, status, answer);
    }

    static Stream<Arguments> misbehavioursOverTls() {
        return misbehaviours().filter(arguments -> {
            String name = (String) arguments.get()[0];
            return name.equals("body on HEAD") || name.equals("a partial second head 100 ms later");
        });
    }

    /**
     * The same through an HTTPS backend. A TLS connection being closed stays active until its close_notify is out,
     * which is why the pool goes by the codec rather than {@code isActive()}; on loopback that window is too short
     * for these cases to land in it, so they check the TLS path end to end rather than the window itself.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("misbehavioursOverTls")
    void overTlsTooBytesAfterTheEndOfAResponseNeverReachTheNextClient(String name, String method, int status,
                                                                      Write[] answer) throws IOException {
        proxy.close();
        backend.close();
        backend = ScriptedBackend.startTls(TestCertificates.newCa("Backend CA")
                .issue(TestCertificates.leaf("backend").ec().sans("127.0.0.1")).serverContext());
        proxy = RunningProxy.startOnOneEventLoop(dir, site(backend.port())
                .replace("port: " + backend.port() + "}",
                        "port: " + backend.port() + ", protocol: HTTPS, tls: {insecureSkipVerify: true}}"));

        misbehaveThenServeAnotherClient(method, status, answer);
    }

    private void misbehaveThenServeAnotherClient(String method, int status, Write[] answer) throws IOException {
        backend.script("/evil", answer);

        try (RawHttpClient a = proxy.connect()) {
            a.send(method + " /evil HTTP/1.1\r\nHost: app\r\n\r\n");
            RawResponse first = a.readResponse(method.equals("HEAD"));
            assertThat(first.status()).isEqualTo(status);
            assertThat(first.headers("Set-Cookie")).isEmpty();
        }
        await().atMost(Duration.ofSeconds(5)).until(backend::scriptsFinished, n -> n == 1);
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.metric(DISCARDED), n -> n != null && n == 1.0);

        RawResponse second = proxy.get("/real");

        assertThat(second.status()).as("%s", second).isEqualTo(200);
        assertThat(second.headers("Set-Cookie")).isEmpty();
        assertThat(second.bodyText()).isEqualTo(ScriptedBackend.realAnswer("GET", "/real", 2));
        assertThat(backend.connectionsAccepted()).isEqualTo(2);
        assertThat(proxy.metric(REUSES)).isZero();
        assertThat(proxy.metric(DISCARDED)).isEqualTo(1.0);
    }

    @Test
    void wellBehavedBackendKeepsOneConnectionForEveryKindOfResponse() throws IOException {
        backend.script("/head", now("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"))
                .script("/204", now("HTTP/1.1 204 No Content\r\n\r\n"))
                .script("/304", now("HTTP/1.1 304 Not Modified\r\nContent-Length: 1000\r\n\r\n"))
                .script("/length", now(OK))
                .script("/chunked", now("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"))
                .script("/trailers", now("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "2\r\nok\r\n0\r\nX-Checksum: 1\r\n\r\n"))
                .script("/early-hints", now("HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n"),
                        after(Duration.ofMillis(20), OK))
                .script("/split", now("HTTP/1.1 200 OK\r\nContent-Len"), after(Duration.ofMillis(20), "gth: 2\r\n\r"),
                        after(Duration.ofMillis(20), "\no"), after(Duration.ofMillis(20), "k"));
        String[][] requests = {
            {"HEAD", "/head"}, {"GET", "/204"}, {"GET", "/304"}, {"GET", "/length"}, {"GET", "/chunked"},
            {"GET", "/trailers"}, {"GET", "/early-hints"}, {"GET", "/split"}, {"POST", "/length"}, {"GET", "/real"}
        };

        for (String[] request : requests) {
            try (RawHttpClient client = proxy.connect()) {
                String body = request[0].equals("POST") ? "Content-Length: 3\r\n\r\nabc" : "\r\n";
                client.send(request[0] + " " + request[1] + " HTTP/1.1\r\nHost: app\r\n" + body);
                RawResponse response = client.readResponse(request[0].equals("HEAD"));
                assertThat(response.status()).as("%s %s", request[0], request[1]).isLessThan(400);
            }
        }

        assertThat(backend.connectionsAccepted()).isEqualTo(1);
        assertThat(backend.requests()).extracting(ScriptedBackend.Seen::connectionId).containsOnly(1);
        assertThat(proxy.metric(REUSES)).isEqualTo(requests.length - 1.0);
        assertThat(proxy.metric(DISCARDED)).isZero();
        assertThat(proxy.metric(NOT_IDLE)).isZero();
    }

    @Test
    void sequentialRequestsOnOneClientConnectionShareOneBackendConnection() throws IOException {
        try (RawHttpClient client = proxy.connect()) {
            for (int i = 0; i < 20; i++) {
                client.send("GET /real HTTP/1.1\r\nHost: app\r\n\r\n");
                assertThat(client.readResponse().bodyText())
                        .isEqualTo(ScriptedBackend.realAnswer("GET", "/real", 1));
            }
        }
        assertThat(backend.connectionsAccepted()).isEqualTo(1);
        assertThat(proxy.metric(REUSES)).isEqualTo(19.0);
    }

    // ---- helpers -----------------------------------------------------------------------

    static String site(int port) {
        return """
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: test, generation: 1}
                spec:
                  hosts: ["*"]
                  routes:
                    - match: {path: {value: /}}
                      backend: {service: 127.0.0.1, port: %d}
                      timeouts: {response: 3s}
                """.formatted(port);
    }
}
