package dev.portico.runtime.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.portico.runtime.testing.RawResponse;
import dev.portico.runtime.testing.RecordedRequest;
import dev.portico.runtime.testing.RunningProxy;
import dev.portico.runtime.testing.TestBackend;
import dev.portico.runtime.tls.TestCertificates.KeyFormat;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 16: a route that blocks {@code /internal/} must block every spelling of it, and what a
 * backend receives must be the path its route matched. Attack variants over real sockets, over
 * HTTP/1.1 and HTTP/2 (both on the TLS listener; the frame-level client sends {@code :path}
 * exactly as written) and, for the ACME exemption of {@code tls.httpRedirect}, over plain HTTP.
 * Each case says what the client gets and which backend saw which path; no other backend may
 * have seen anything. In this package for the HTTP/2 clients.
 */
@Timeout(180)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PathNormalisationTest {

    enum Protocol { HTTP_1_1, HTTP_2 }

    private static final String BLOCKED = "blocked";

    TestCertificates.Ca ca;
    TestBackend app;
    TestBackend exact;
    TestBackend regex;
    TestBackend api;
    RunningProxy proxy;

    @BeforeAll
    void start(@TempDir Path dir) {
        ca = TestCertificates.newCa("Portico Test CA");
        TestCertificates.write(dir.resolve("secrets"), "site-tls",
                ca.issue(TestCertificates.leaf("site").ec().sans("localhost")), KeyFormat.PKCS8);
        app = TestBackend.start("app");
        exact = TestBackend.start("exact");
        regex = TestBackend.start("regex");
        api = TestBackend.start("api");
        proxy = RunningProxy.start(dir, site(""));
    }

    /** One failed case leaves no request behind for the next to trip over. */
    @BeforeEach
    void drainBackends() {
        for (TestBackend backend : backends().values()) {
            while (backend.pollRequest(Duration.ZERO).isPresent()) {
                // dropped
            }
        }
    }

    @AfterAll
    void stop() {
        proxy.close();
        for (TestBackend backend : backends().values()) {
            backend.close();
        }
    }

    /**
     * tls.httpRedirect is on (the default): plain HTTP is redirected except ACME challenges. The
     * catch-all is a regular expression after the other one, since any PathPrefix would beat both.
     */
    private String site(String specExtra) {
        return """
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: paths, generation: 1}
                spec:
                  hosts: ["localhost"]
                  tls:
                    certificates: [{secretName: site-tls}]
                %s
                  routes:
                    - match: {path: {value: /internal/}}
                      respond: {status: 404, body: "%s"}
                    - match: {path: {type: Exact, value: /%%7eadmin}}
                      respond: {status: 403, body: "admin"}
                    - match: {path: {type: Exact, value: /exact/page}}
                      backend: {service: 127.0.0.1, port: %d}
                    - match: {path: {type: RegularExpression, value: "/files/[a-z]+\\\\.txt"}}
                      backend: {service: 127.0.0.1, port: %d}
                    - match: {path: {value: /api}}
                      backend: {service: 127.0.0.1, port: %d}
                      rewrite: {replacePrefixMatch: /v2}
                    - match: {path: {type: RegularExpression, value: "/.*"}}
                      backend: {service: 127.0.0.1, port: %d}
                """.formatted(specExtra.indent(2).stripTrailing(), BLOCKED, exact.port(), regex.port(), api.port(),
                app.port());
    }

    private Map<String, TestBackend> backends() {
        return Map.of("app", app, "exact", exact, "regex", regex, "api", api);
    }

    /** A request the proxy answers itself: {@code status} and no backend sees anything. */
    private static Arguments local(String target, int status) {
        return arguments(target, status, null, null);
    }

    private static Arguments forwarded(String target, String backend, String seen) {
        return arguments(target, 200, backend, seen);
    }

    static Stream<Arguments> variants() {
        return Stream.of(
                // the block route, spelled every way a backend would still read as /internal/...
                local("/internal/x", 404),
                local("/internal", 404),
                local("/%69nternal/x", 404),
                local("/%69%6E%74%65%72%6E%61%6C/x", 404),
                local("/%69%6e%74%65%72%6e%61%6c/x", 404),
                local("/./internal/x", 404),
                local("/a/../internal/x", 404),
                local("/a/b/../../internal/x", 404),
                local("/../internal/x", 404),
                local("/../../../../internal/x", 404),
                local("//internal/x", 404),
                local("///internal/x", 404),
                local("/internal//x", 404),
                local("/internal/./x", 404),
                local("/%2e/internal/x", 404),
                local("/%2E/internal/x", 404),
                local("/%2E%2E/internal/x", 404),
                local("/a/.%2e/internal/x", 404),
                local("/a/%2e%2E/internal/x", 404),
                local("/api/../internal/x", 404),
                local("/files/../internal/x", 404),
                local("/.well-known/acme-challenge/../../internal/x", 404),
                local("/internal/x?a=1", 404),
                // an Exact block route written with an escape matches every spelling of its path
                local("/~admin", 403),
                local("/%7eadmin", 403),
                local("/%7Eadmin", 403),
                local("/x/../%7Eadmin", 403),
                // refused outright: what a backend could read as a separator, NUL, bad escapes
                local("/internal%2fx", 400),
                local("/internal%2Fx", 400),
                local("/%2finternal/x", 400),
                local("/..%2finternal/x", 400),
                local("/%2e%2e%2finternal%2fx", 400),
                local("/internal%5cx", 400),
                local("/%5Cinternal/x", 400),
                local("/..%5cinternal", 400),
                local("/internal\\x", 400),
                local("/..\\internal\\x", 400),
                local("/internal%00", 400),
                local("/x%00.txt", 400),
                local("/internal#/x", 400),
                local("/x#/../internal/x", 400),
                local("/%zz", 400),
                local("/a%", 400),
                local("/a%2", 400),
                local("/api/..%2f..%2finternal", 400),
                // Exact route: the backend sees the path the route matched; the query is untouched
                forwarded("/exact/page", "exact", "/exact/page"),
                forwarded("/exact/./page", "exact", "/exact/page"),
                forwarded("/exact//page", "exact", "/exact/page"),
                forwarded("/%65xact/page", "exact", "/exact/page"),
                forwarded("/x/../exact/page", "exact", "/exact/page"),
                forwarded("/exact/page?q=%2e%2e/../%2F&r=%zz", "exact", "/exact/page?q=%2e%2e/../%2F&r=%zz"),
                forwarded("/exact/page/", "app", "/exact/page/"),
                // RegularExpression route
                forwarded("/files/a.txt", "regex", "/files/a.txt"),
                forwarded("/files/%61.txt", "regex", "/files/a.txt"),
                forwarded("/files/./b%2Etxt", "regex", "/files/b.txt"),
                forwarded("//files/c.txt", "regex", "/files/c.txt"),
                forwarded("/files/x/../d.txt", "regex", "/files/d.txt"),
                forwarded("/files/%2e%2e/e.txt", "app", "/e.txt"),
                // rewrite (replacePrefixMatch) applies to the normalised path
                forwarded("/api/users", "api", "/v2/users"),
                forwarded("/%61pi/users", "api", "/v2/users"),
                forwarded("/api/./users", "api", "/v2/users"),
                forwarded("/api//users", "api", "/v2/users"),
                forwarded("/api/x/../users?z=1", "api", "/v2/users?z=1"),
                forwarded("/x/../api", "api", "/v2"),
                forwarded("/api/..", "app", "/"),
                // everything else: normal form, other escapes kept (upper-case hex), decoded once only
                forwarded("/a%20b", "app", "/a%20b"),
                forwarded("/a%3fb", "app", "/a%3Fb"),
                forwarded("/%7Euser/", "app", "/~user/"),
                forwarded("/%252e%252e/internal/x", "app", "/%252e%252e/internal/x"),
                forwarded("/caf%c3%a9", "app", "/caf%C3%A9"),
                forwarded("/a/b/..", "app", "/a/"),
                forwarded("/.well-known/acme-challenge/t", "app", "/.well-known/acme-challenge/t"));
    }

    static Stream<Arguments> variantsOverBothProtocols() {
        List<Arguments> all = new ArrayList<>();
        for (Protocol protocol : Protocol.values()) {
            variants().forEach(a -> {
                Object[] v = a.get();
                all.add(arguments(protocol, v[0], v[1], v[2], v[3]));
            });
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0} {1} -> {2} {3} {4}")
    @MethodSource("variantsOverBothProtocols")
    void routesAndForwardsTheNormalisedPath(Protocol protocol, String target, int status, String backend, String seen)
            throws Exception {
        assertThat(send(protocol, target)).as("status for %s", target).isEqualTo(status);

        assertSeenOnlyBy(backend, seen, target);
    }

    @Test
    void acmeExemptionOverPlainHttpTakesOnlyNormalisedChallengePaths() {
        for (String target : List.of("/.well-known/acme-challenge/../../internal/x",
                "/.well-known/acme-challenge/%2e%2e/%2E%2E/internal/x",
                "/.well-known/acme-challenge/t/../../../internal/x",
                "/.well-known/acme-challenge/..//../internal/x",
                "/.well-known/%61cme-challenge/../../internal/x")) {
            RawResponse response = proxy.request("GET", "localhost", target);

            assertThat(response.status()).as(target).isEqualTo(301);
            assertThat(response.header("Location")).as(target).isEqualTo("https://localhost/internal/x");
            assertSeenOnlyBy(null, null, target);
        }
        assertThat(proxy.request("GET", "localhost", "/.well-known/acme-challenge/..%2f..%2finternal").status())
                .isEqualTo(400);
        assertThat(proxy.request("GET", "localhost", "/.well-known/acme-challenge/../x?q=/../a").header("Location"))
                .isEqualTo("https://localhost/.well-known/x?q=/../a");

        for (String target : List.of("/.well-known/acme-challenge/tok", "/.well-known/./acme-challenge/tok",
                "//.well-known/acme-challenge//tok", "/.well-known/acme-challenge/%74ok")) {
            RawResponse response = proxy.request("GET", "localhost", target);

            assertThat(response.status()).as(target).isEqualTo(200);
            assertSeenOnlyBy("app", "/.well-known/acme-challenge/tok", target);
        }
        assertThat(proxy.request("GET", "localhost", "/.well-known/acme-challenge/../../internal/%2e%2e/x")
                .header("Location")).isEqualTo("https://localhost/x");
    }

    @ParameterizedTest
    @EnumSource(Protocol.class)
    void keptEscapedSlashesStayEncodedAndAreNoSeparator(Protocol protocol) throws Exception {
        proxy.reconfigure(site("paths: {escapedSlashes: Keep}"));
        try {
            assertThat(send(protocol, "/internal%2fx")).isEqualTo(200);
            assertSeenOnlyBy("app", "/internal%2Fx", "/internal%2fx");
            assertThat(send(protocol, "/group%2Fproject/../issues%5c1")).isEqualTo(200);
            assertSeenOnlyBy("app", "/issues%5C1", "/group%2Fproject/../issues%5c1");
            assertThat(send(protocol, "/api/a%2fb/./c")).isEqualTo(200);
            assertSeenOnlyBy("api", "/v2/a%2Fb/c", "/api/a%2fb/./c");
            assertThat(send(protocol, "/x/..%2f/internal/x")).isEqualTo(200);
            assertSeenOnlyBy("app", "/x/..%2F/internal/x", "/x/..%2f/internal/x");

            for (String blocked : List.of("/internal/%2f", "/%2e%2e/internal/a%2Fb", "//internal%2F/../internal/x")) {
                assertThat(send(protocol, blocked)).as(blocked).isEqualTo(404);
                assertSeenOnlyBy(null, null, blocked);
            }
            for (String refused : List.of("/a%00", "/a\\b", "/a%g0")) {
                assertThat(send(protocol, refused)).as(refused).isEqualTo(400);
                assertSeenOnlyBy(null, null, refused);
            }
        } finally {
            proxy.reconfigure(site(""));
        }
    }

    /** {@code backend} (null: none) saw exactly {@code seen}, and no other backend saw anything. */
    private void assertSeenOnlyBy(String backend, String seen, String target) {
        if (backend != null) {
            RecordedRequest request = backends().get(backend).takeRequest();
            assertThat(request.uri()).as("%s sent for %s", backend, target).isEqualTo(seen);
        }
        backends().forEach((name, other) -> {
            Optional<RecordedRequest> extra = other.pollRequest(Duration.ZERO);
            assertThat(extra).as("%s received for %s", name, target).isEmpty();
        });
    }

    private int send(Protocol protocol, String target) throws Exception {
        int port = proxy.runtime().httpsPort();
        if (protocol == Protocol.HTTP_1_1) {
            try (SSLSocket socket = TlsClients.handshake(ca.clientContext(), port,
                    TlsClients.Options.sni("localhost").alpn("http/1.1"))) {
                return TlsClients.request(socket, "localhost", target, "Connection: close").status();
            }
        }
        try (RawHttp2Client client = RawHttp2Client.connect(ca, port)) {
            client.headers(1, target, true).flush();
            String head = client.await(line -> line.startsWith("HEADERS 1 ") || line.startsWith("RST_STREAM 1 ")
                    || line.startsWith("GOAWAY"), Duration.ofSeconds(10), "response to " + target);
            assertThat(head).as("response to %s", target).startsWith("HEADERS 1 :status=");
            client.awaitEndOf(1);
            return Integer.parseInt(head.substring("HEADERS 1 :status=".length(), "HEADERS 1 :status=".length() + 3));
        }
    }
}
