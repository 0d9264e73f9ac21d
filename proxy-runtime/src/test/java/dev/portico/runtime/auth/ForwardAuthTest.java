package dev.portico.runtime.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.runtime.testing.RawHttpClient;
import dev.portico.runtime.testing.RawResponse;
import dev.portico.runtime.testing.RecordedRequest;
import dev.portico.runtime.testing.RunningProxy;
import dev.portico.runtime.testing.TestAuthService;
import dev.portico.runtime.testing.TestBackend;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code auth.forward} end to end over HTTP/1.1: the runtime on loopback, a real backend, and a real auth service
 * that answers as authentik's /auth/traefik endpoint ({@link TestAuthService}). Http2ForwardAuthTest covers HTTP/2.
 */
@Timeout(60)
class ForwardAuthTest {

    @TempDir
    Path dir;
    TestBackend backend;
    TestAuthService auth;
    RunningProxy proxy;

    @BeforeEach
    void start() {
        backend = TestBackend.start("app");
        auth = TestAuthService.start();
        proxy = RunningProxy.start(dir, site(auth.port(), "1s"));
    }

    @AfterEach
    void stop() {
        proxy.close();
        auth.close();
        backend.close();
    }

    private String site(int authPort, String timeout) {
        return """
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: test, generation: 1}
                spec:
                  hosts: ["*"]
                  auth:
                    forward:
                      backend: {service: 127.0.0.1, port: %d}
                      path: /outpost.goauthentik.io/auth/traefik
                      responseHeaders: [X-authentik-username, X-authentik-groups]
                      timeout: %s
                  routes:
                    - match: {path: {value: /outpost.goauthentik.io/}}
                      backend: {service: 127.0.0.1, port: %d}
                      auth: {enabled: false}
                    - match: {path: {value: /}}
                      backend: {service: 127.0.0.1, port: %d}
                """.formatted(authPort, timeout, backend.port(), backend.port());
    }

    @Test
    void anApprovedRequestGoesUpstreamWithTheChosenHeadersOfTheAnswer() {
        RawResponse response = proxy.get("/app/page?x=1", "Cookie: session=alice");

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.bodyText()).isEqualTo("ok app GET /app/page?x=1");
        RecordedRequest upstream = backend.takeRequest();
        assertThat(upstream.header("X-authentik-username")).isEqualTo("alice");
        assertThat(upstream.header("X-authentik-groups")).isEqualTo("admins|users");
        assertThat(upstream.hasHeader("X-Not-Copied")).isFalse();
        assertThat(upstream.header("Cookie")).isEqualTo("session=alice");

        TestAuthService.Seen asked = auth.seen.get(0);
        assertThat(asked.method()).isEqualTo("GET");
        assertThat(asked.uri()).isEqualTo("/outpost.goauthentik.io/auth/traefik");
        assertThat(asked.header("Host")).isEqualTo("app.example.com");
        assertThat(asked.header("X-Forwarded-Method")).isEqualTo("GET");
        assertThat(asked.header("X-Forwarded-Uri")).isEqualTo("/app/page?x=1");
        assertThat(asked.header("X-Forwarded-Host")).isEqualTo("app.example.com");
        assertThat(asked.header("X-Forwarded-Proto")).isEqualTo("http");
        assertThat(asked.header("X-Forwarded-For")).isEqualTo("127.0.0.1");
        assertThat(asked.header("X-Original-Url")).isEqualTo("http://app.example.com/app/page?x=1");
        assertThat(asked.header("Cookie")).isEqualTo("session=alice");
    }

    @Test
    void aClientCannotForgeTheIdentityHeaders() {
        proxy.get("/", "Cookie: session=alice", "X-authentik-username: root", "X-Forwarded-Uri: /forged");
        RecordedRequest upstream = backend.takeRequest();
        assertThat(upstream.headers("X-authentik-username")).containsExactly("alice");
        assertThat(auth.seen.get(0).header("X-Forwarded-Uri")).isEqualTo("/");

        // An approval without identity: the client's claim is gone all the same.
        proxy.get("/", "Cookie: session=anon", "X-authentik-username: root");
        assertThat(backend.takeRequest().hasHeader("X-authentik-username")).isFalse();
    }

    @Test
    void aRedirectToLogInGoesToTheClientAsItIsAndNothingUpstream() {
        RawResponse response = proxy.get("/app", "X-authentik-username: root");

        assertThat(response.status()).isEqualTo(302);
        assertThat(response.header("Location")).isEqualTo("/outpost.goauthentik.io/start?rd=/app");
        assertThat(response.headers("Set-Cookie"))
                .containsExactly("authentik_proxy_x=state; Path=/; HttpOnly", "second=2; Path=/");
        assertThat(response.bodyText()).isEqualTo("<a href=\"/outpost.goauthentik.io/start\">Found</a>");
        assertThat(backend.requests()).isEmpty();
        assertThat(proxy.metric("portico_auth_failures_total{method=\"forward\",reason=\"denied\"}")).isEqualTo(1.0);
    }

    @Test
    void aRefusalPassesWithItsStatusAndBody() {
        RawResponse response = proxy.get("/", "Cookie: session=banned");

        assertThat(response.status()).isEqualTo(403);
        assertThat(response.bodyText()).isEqualTo("forbidden by policy");
        assertThat(backend.requests()).isEmpty();
    }

    @Test
    void theOptedOutRouteIsServedWithoutAskingTheAuthService() {
        RawResponse response = proxy.get("/outpost.goauthentik.io/start?rd=/app");

        assertThat(response.status()).isEqualTo(200);
        assertThat(auth.seen).isEmpty();
    }

    @Test
    void anAuthServiceThatFailsOrCannotBeReachedOrIsSlowGets503NeverTheBackend() throws Exception {
        assertThat(proxy.get("/", "Cookie: session=broken").status()).isEqualTo(503);
        assertThat(proxy.get("/", "Cookie: session=big").status()).isEqualTo(503);

        long start = System.nanoTime();
        assertThat(proxy.get("/", "Cookie: session=slow").status()).isEqualTo(503);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(900),
                Duration.ofMillis(2_500));

        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        proxy.reconfigure(site(closedPort, "1s"));
        assertThat(proxy.get("/", "Cookie: session=alice").status()).isEqualTo(503);

        assertThat(backend.requests()).isEmpty();
        assertThat(proxy.metric("portico_auth_failures_total{method=\"forward\",reason=\"unavailable\"}"))
                .isEqualTo(4.0);
    }

    @Test
    void theBodyWaitsForTheApprovalThenStreamsUpstream() throws Exception {
        String body = "x".repeat(200_000);
        try (RawHttpClient client = proxy.connect()) {
            client.send("POST /upload HTTP/1.1\r\nHost: app.example.com\r\nCookie: session=alice\r\n"
                    + "Content-Length: " + body.length() + "\r\n\r\n" + body);
            RawResponse response = client.readResponse();
            assertThat(response.status()).isEqualTo(200);
        }
        TestAuthService.Seen asked = auth.seen.get(0);
        assertThat(asked.method()).isEqualTo("POST");
        assertThat(asked.bodyBytes()).isZero();
        assertThat(asked.header("Content-Length")).isNull();
        assertThat(backend.takeRequest().bodyLength()).isEqualTo(body.length());
    }

    @Test
    void expectContinueIsAnsweredOnlyOnceTheRequestIsAuthorized() throws Exception {
        try (RawHttpClient client = proxy.connect()) {
            client.send("PUT /file HTTP/1.1\r\nHost: a\r\nCookie: session=banned\r\nContent-Length: 5\r\n"
                    + "Expect: 100-continue\r\n\r\n");
            RawResponse first = client.readInterimOrFinal();
            assertThat(first.status()).as("no 100 before the refusal").isEqualTo(403);
        }
        try (RawHttpClient client = proxy.connect()) {
            client.send("PUT /file HTTP/1.1\r\nHost: a\r\nCookie: session=alice\r\nContent-Length: 5\r\n"
                    + "Expect: 100-continue\r\n\r\n");
            assertThat(client.readInterimOrFinal().status()).isEqualTo(100);
            client.send("hello");
            assertThat(client.readResponse().status()).isEqualTo(200);
        }
        assertThat(backend.takeRequest().bodyLength()).isEqualTo(5);
    }

    @Test
    void aDeniedRequestWithABodyIsAnsweredAndTheConnectionClosed() throws Exception {
        try (RawHttpClient client = proxy.connect()) {
            client.send("POST /upload HTTP/1.1\r\nHost: app.example.com\r\nContent-Length: 100000\r\n\r\n"
                    + "y".repeat(1000));
            RawResponse response = client.readResponse();
            assertThat(response.status()).isEqualTo(302);
            assertThat(response.header("Connection")).isEqualToIgnoringCase("close");
        }
        assertThat(backend.requests()).isEmpty();
    }

    @Test
    void keepAliveConnectionsToTheAuthServiceAreReused() {
        for (int i = 0; i < 3; i++) {
            assertThat(proxy.get("/", "Cookie: session=alice").status()).isEqualTo(200);
        }
        assertThat(auth.seen).hasSize(3);
        assertThat(proxy.metric("portico_upstream_reuses_total")).isGreaterThanOrEqualTo(2.0);
    }

    @Test
    void aWebSocketUpgradeIsAuthorizedFirst() throws Exception {
        try (RawHttpClient client = proxy.connect()) {
            client.send("GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
            assertThat(client.readResponse().status()).isEqualTo(302);
        }
        try (RawHttpClient client = proxy.connect()) {
            client.send("GET /chat HTTP/1.1\r\nHost: a\r\nCookie: session=alice\r\nUpgrade: websocket\r\n"
                    + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    + "Sec-WebSocket-Version: 13\r\n\r\n");
            assertThat(client.readResponse().status()).isEqualTo(101);
        }
        TestAuthService.Seen asked = auth.seen.get(1);
        assertThat(asked.header("Upgrade")).isNull();
        RecordedRequest upgrade = backend.takeRequest();
        assertThat(upgrade.header("X-authentik-username")).isEqualTo("alice");
    }
}
