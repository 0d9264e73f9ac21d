package dev.portico.runtime.tls;

import static org.assertj.core.api.Assertions.assertThat;

import at.favre.lib.crypto.bcrypt.BCrypt;
import dev.portico.runtime.testing.RecordedRequest;
import dev.portico.runtime.testing.RunningProxy;
import dev.portico.runtime.testing.TestAuthService;
import dev.portico.runtime.testing.TestBackend;
import dev.portico.runtime.tls.TestCertificates.KeyFormat;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** spec.auth for HTTP/2 clients: each stream is authorized like an HTTP/1.1 request, its body held until then. */
@Timeout(60)
class Http2AuthTest {

    static TestCertificates.Ca ca;
    @TempDir
    Path dir;
    TestBackend app;
    TestAuthService auth;
    RunningProxy proxy;
    HttpClient client;

    @BeforeAll
    static void certificates() {
        ca = TestCertificates.newCa("Portico Test CA");
    }

    @BeforeEach
    void start() throws Exception {
        TestCertificates.write(dir.resolve("secrets"), "site-tls",
                ca.issue(TestCertificates.leaf("site").ec().sans("localhost")), KeyFormat.TRADITIONAL);
        Path htpasswd = Files.createDirectories(dir.resolve("secrets").resolve("admins")).resolve("auth");
        Files.writeString(htpasswd, "alice:" + BCrypt.withDefaults().hashToString(4, "pw".toCharArray()) + "\n");
        app = TestBackend.start("app");
        auth = TestAuthService.start();
        proxy = RunningProxy.start(dir, """
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: h2, generation: 1}
                spec:
                  hosts: [localhost]
                  tls:
                    certificates: [{secretName: site-tls}]
                  auth:
                    forward:
                      backend: {service: 127.0.0.1, port: %d}
                      path: /outpost.goauthentik.io/auth/traefik
                      responseHeaders: [X-authentik-username]
                  routes:
                    - match: {path: {value: /basic}}
                      backend: {service: 127.0.0.1, port: %d}
                      auth: {basic: {secretName: admins}}
                    - match: {path: {value: /}}
                      backend: {service: 127.0.0.1, port: %d}
                """.formatted(auth.port(), app.port(), app.port()));
        client = TlsClients.httpClient(ca.clientContext(), HttpClient.Version.HTTP_2);
    }

    @AfterEach
    void stop() {
        proxy.close();
        auth.close();
        app.close();
    }

    private HttpRequest.Builder request(String target) {
        return HttpRequest.newBuilder(URI.create("https://localhost:" + proxy.runtime().httpsPort() + target));
    }

    @Test
    void anApprovedStreamCarriesItsBodyAndTheIdentityUpstream() throws Exception {
        byte[] body = "z".repeat(300_000).getBytes(StandardCharsets.US_ASCII);
        HttpResponse<String> response = client.send(request("/upload").header("Cookie", "session=alice")
                .header("X-authentik-username", "root")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(response.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(response.statusCode()).isEqualTo(200);
        RecordedRequest upstream = app.takeRequest();
        assertThat(upstream.bodyLength()).isEqualTo(body.length);
        assertThat(upstream.headers("X-authentik-username")).containsExactly("alice");
        TestAuthService.Seen asked = auth.seen.get(0);
        assertThat(asked.bodyBytes()).isZero();
        assertThat(asked.header("X-Forwarded-Proto")).isEqualTo("https");
        assertThat(asked.header("X-Forwarded-Method")).isEqualTo("POST");
    }

    @Test
    void aDeniedStreamGetsTheAuthServicesRedirect() throws Exception {
        HttpResponse<String> response = client.send(request("/app").build(), HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(302);
        assertThat(response.headers().firstValue("Location")).hasValue("/outpost.goauthentik.io/start?rd=/app");
        assertThat(response.headers().allValues("Set-Cookie")).hasSize(2);
        assertThat(app.requests()).isEmpty();
    }

    @Test
    void basicAuthWorksOnStreamsToo() throws Exception {
        assertThat(client.send(request("/basic").build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                .isEqualTo(401);
        String credentials = Base64.getEncoder().encodeToString("alice:pw".getBytes(StandardCharsets.UTF_8));
        assertThat(client.send(request("/basic").header("Authorization", "Basic " + credentials).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
    }
}
