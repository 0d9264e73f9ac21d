package dev.portico.runtime.tls;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.runtime.testing.RunningProxy;
import dev.portico.runtime.testing.TestBackend;
import dev.portico.runtime.tls.TestCertificates.KeyFormat;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code cors} over HTTP/2 streams: the preflight answered on its stream, CORS on proxied and local responses. */
@Timeout(60)
class CorsHttp2Test {

    private static final String ORIGIN = "https://app.example.com";

    static TestCertificates.Ca ca;
    @TempDir
    Path dir;
    TestBackend app;
    RunningProxy proxy;
    HttpClient client;

    @BeforeAll
    static void certificates() {
        ca = TestCertificates.newCa("Portico Test CA");
    }

    @BeforeEach
    void start() {
        TestCertificates.write(dir.resolve("secrets"), "site-tls",
                ca.issue(TestCertificates.leaf("site").ec().sans("localhost")), KeyFormat.TRADITIONAL);
        app = TestBackend.start("app");
        proxy = RunningProxy.start(dir, """
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: h2, generation: 1}
                spec:
                  hosts: [localhost]
                  tls:
                    certificates: [{secretName: site-tls}]
                  cors: {allowOrigins: ["%s"], allowMethods: [PUT], exposeHeaders: [X-Total]}
                  routes:
                    - match: {path: {value: /limited}}
                      backend: {service: 127.0.0.1, port: %d}
                      rateLimit: {requestsPerSecond: 1, burst: 1}
                    - match: {path: {value: /}}
                      backend: {service: 127.0.0.1, port: %d}
                """.formatted(ORIGIN, app.port(), app.port()));
        client = TlsClients.httpClient(ca.clientContext(), HttpClient.Version.HTTP_2);
    }

    @AfterEach
    void stop() {
        proxy.close();
        app.close();
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpRequest.Builder to(String target) {
        return HttpRequest.newBuilder(URI.create("https://localhost:" + proxy.runtime().httpsPort() + target))
                .header("Origin", ORIGIN);
    }

    @Test
    void aPreflightIsAnsweredOnItsStreamAndTheBackendNeverSeesIt() throws Exception {
        HttpResponse<String> response = send(to("/api").method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Access-Control-Request-Method", "PUT"));

        assertThat(response.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(response.statusCode()).isEqualTo(204);
        assertThat(response.headers().firstValue("access-control-allow-origin")).hasValue(ORIGIN);
        assertThat(response.headers().firstValue("access-control-allow-methods")).hasValue("PUT");
        assertThat(response.headers().firstValue("access-control-max-age")).hasValue("5");
        assertThat(response.headers().allValues("vary")).containsExactly("Origin");
        assertThat(response.body()).isEmpty();
        assertThat(app.pollRequest(Duration.ofMillis(300))).isEmpty();

        // The connection carries on: the request the preflight was about goes through on the next stream.
        HttpResponse<String> put = send(to("/api").PUT(HttpRequest.BodyPublishers.ofString("x")));
        assertThat(put.statusCode()).isEqualTo(200);
        assertThat(put.headers().firstValue("access-control-allow-origin")).hasValue(ORIGIN);
        assertThat(put.headers().firstValue("access-control-expose-headers")).hasValue("X-Total");
        assertThat(app.takeRequest().method()).isEqualTo("PUT");
    }

    @Test
    void aRefusedOriginGetsNoAllowHeaderAndA429ToAnAllowedOneCarriesCors() throws Exception {
        HttpResponse<String> refused = send(to("/api").setHeader("Origin", "https://evil.example.net"));
        assertThat(refused.statusCode()).isEqualTo(200);
        assertThat(refused.headers().map().keySet()).noneMatch(name -> name.startsWith("access-control-"));

        assertThat(send(to("/limited")).statusCode()).isEqualTo(200);
        HttpResponse<String> throttled = send(to("/limited"));
        assertThat(throttled.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(throttled.statusCode()).isEqualTo(429);
        assertThat(throttled.headers().firstValue("access-control-allow-origin")).hasValue(ORIGIN);
    }
}
