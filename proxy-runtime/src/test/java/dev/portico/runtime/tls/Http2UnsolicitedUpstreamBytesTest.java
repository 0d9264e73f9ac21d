package dev.portico.runtime.tls;

import static dev.portico.runtime.testing.ScriptedBackend.after;
import static dev.portico.runtime.testing.ScriptedBackend.now;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portico.runtime.testing.RunningProxy;
import dev.portico.runtime.testing.ScriptedBackend;
import dev.portico.runtime.testing.ScriptedBackend.Write;
import dev.portico.runtime.tls.TestCertificates.KeyFormat;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * HTTP/2 streams take their upstream connections from the same pool as HTTP/1.1 requests, so bytes a backend sends
 * after the end of one stream's response must not reach another client's stream either (the HTTP/1.1 cases are in
 * {@code UnsolicitedUpstreamBytesTest}). Client A and client B are separate h2 connections on the one event loop.
 */
@Timeout(60)
class Http2UnsolicitedUpstreamBytesTest {

    static final String DISCARDED = "portico_upstream_connections_discarded_total{reason=\"unsolicited_bytes\"}";
    static final String PARTIAL_HEAD = "HTTP/1.1 200 OK\r\nSet-Cookie: session=attacker\r\nX-Swallow: ";
    static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    static TestCertificates.Ca ca;
    @TempDir
    Path dir;
    ScriptedBackend backend;
    RunningProxy proxy;

    @BeforeAll
    static void certificates() {
        ca = TestCertificates.newCa("Portico Test CA");
    }

    @BeforeEach
    void start() {
        TestCertificates.write(dir.resolve("secrets"), "site-tls",
                ca.issue(TestCertificates.leaf("site").ec().sans("localhost")), KeyFormat.TRADITIONAL);
        backend = ScriptedBackend.start();
        proxy = RunningProxy.startOnOneEventLoop(dir, """
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: h2, generation: 1}
                spec:
                  hosts: ["localhost"]
                  tls:
                    certificates: [{secretName: site-tls}]
                  routes:
                    - match: {path: {value: /}}
                      backend: {service: 127.0.0.1, port: %d}
                      timeouts: {response: 3s}
                """.formatted(backend.port()));
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
                Arguments.of("body on 204", "GET", 204, new Write[] {now("HTTP/1.1 204 No Content\r\n\r\n" + PARTIAL_HEAD)}),
                Arguments.of("a partial second head 100 ms later", "GET", 200, new Write[] {
                    now(OK), after(Duration.ofMillis(100), PARTIAL_HEAD)}));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("misbehaviours")
    void bytesAfterTheEndOfAResponseNeverReachAnotherClientsStream(String name, String method, int status,
                                                                   Write[] answer) throws Exception {
        backend.script("/evil", answer);

        HttpResponse<String> first = send(newClient(), method, "/evil");
        assertThat(first.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(first.statusCode()).isEqualTo(status);
        await().atMost(Duration.ofSeconds(5)).until(backend::scriptsFinished, n -> n == 1);
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.metric(DISCARDED), n -> n != null && n == 1.0);

        HttpResponse<String> second = send(newClient(), "GET", "/real");

        assertThat(second.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(second.headers().allValues("set-cookie")).isEmpty();
        assertThat(second.body()).isEqualTo(ScriptedBackend.realAnswer("GET", "/real", 2));
        assertThat(backend.connectionsAccepted()).isEqualTo(2);
        assertThat(proxy.metric(DISCARDED)).isEqualTo(1.0);
    }

    @Test
    void streamsOfSeveralClientsReuseOneBackendConnectionWhenItBehaves() throws Exception {
        backend.script("/head", now("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"))
                .script("/204", now("HTTP/1.1 204 No Content\r\n\r\n"))
                .script("/chunked", now("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"));
        String[][] requests = {{"HEAD", "/head"}, {"GET", "/204"}, {"GET", "/chunked"}, {"GET", "/real"}};

        for (String[] request : requests) {
            HttpResponse<String> response = send(newClient(), request[0], request[1]);
            assertThat(response.statusCode()).as("%s %s", request[0], request[1]).isLessThan(300);
        }

        assertThat(backend.connectionsAccepted()).isEqualTo(1);
        assertThat(proxy.metric("portico_upstream_reuses_total")).isEqualTo(requests.length - 1.0);
        assertThat(proxy.metric(DISCARDED)).isZero();
    }

    private HttpClient newClient() {
        return TlsClients.httpClient(ca.clientContext(), HttpClient.Version.HTTP_2);
    }

    private HttpResponse<String> send(HttpClient client, String method, String target) throws Exception {
        URI uri = URI.create("https://localhost:" + proxy.runtime().httpsPort() + target);
        return client.send(HttpRequest.newBuilder(uri).method(method, HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
