package dev.portico.runtime.tls;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.runtime.testing.RawResponse;
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

/** {@code tls.httpRedirect} on the plain listener, and HSTS on TLS responses only. */
@Timeout(60)
class RedirectAndHstsTest {

    static TestCertificates.Ca ca;
    @TempDir
    Path dir;
    TestBackend backend;
    RunningProxy proxy;

    @BeforeAll
    static void certificates() {
        ca = TestCertificates.newCa("Portico Test CA");
    }

    @BeforeEach
    void start() {
        TestCertificates.write(dir.resolve("secrets"), "site-tls", ca.issue(TestCertificates.leaf("site")
                .sans("app.example.com", "localhost", "127.0.0.1")), KeyFormat.PKCS8);
        backend = TestBackend.start("app");
        proxy = RunningProxy.start(dir, site("hsts: {maxAge: 100, includeSubDomains: true}", ""));
    }

    @AfterEach
    void stop() {
        proxy.close();
        backend.close();
    }

    private String site(String tlsExtra, String specExtra) {
        return """
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: redirect, generation: 1}
                spec:
                  hosts: ["app.example.com", "localhost"]
                  tls:
                    certificates: [{secretName: site-tls}]
                %s
                %s
                  routes:
                    - match: {path: {value: /}}
                      backend: {service: 127.0.0.1, port: %d}
                """.formatted(tlsExtra.indent(4).stripTrailing(), specExtra.indent(2).stripTrailing(),
                backend.port());
    }

    private HttpResponse<String> https(String target, HttpClient.Version version) throws Exception {
        HttpClient client = TlsClients.httpClient(ca.clientContext(), version);
        return client.send(HttpRequest.newBuilder(URI.create("https://localhost:" + proxy.runtime().httpsPort()
                + target)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void plainHttpToAServedHostIsRedirectedToHttpsWithoutThePort() {
        RawResponse response = proxy.request("GET", "app.example.com:8080", "/a/b%20c?x=1&y=2");

        assertThat(response.status()).isEqualTo(301);
        assertThat(response.header("Location")).isEqualTo("https://app.example.com/a/b%20c?x=1&y=2");
        assertThat(response.hasHeader("Strict-Transport-Security")).isFalse();
        assertThat(backend.pollRequest(Duration.ofMillis(200))).isEmpty();
    }

    @Test
    void acmeChallengesAreRoutedOverPlainHttp() {
        RawResponse response = proxy.request("GET", "app.example.com", "/.well-known/acme-challenge/token-123");

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.bodyText()).isEqualTo("ok app GET /.well-known/acme-challenge/token-123");
        assertThat(backend.takeRequest().header("X-Forwarded-Proto")).isEqualTo("http");
        assertThat(response.hasHeader("Strict-Transport-Security")).isFalse();
    }

    @Test
    void unknownHostIsNotRedirected() {
        RawResponse response = proxy.request("GET", "elsewhere.example.org", "/x");

        assertThat(response.status()).isEqualTo(404);
        assertThat(response.hasHeader("Location")).isFalse();
    }

    @Test
    void withoutRedirectPlainHttpIsServedWithoutHsts() {
        proxy.reconfigure(site("httpRedirect: false\nhsts: {maxAge: 100, includeSubDomains: true}", ""));

        RawResponse response = proxy.request("GET", "app.example.com", "/plain");

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.bodyText()).isEqualTo("ok app GET /plain");
        assertThat(response.hasHeader("Strict-Transport-Security")).isFalse();
    }

    @Test
    void hstsIsSentOnTlsResponsesOverBothProtocols() throws Exception {
        for (HttpClient.Version version : HttpClient.Version.values()) {
            HttpResponse<String> response = https("/secure", version);
            assertThat(response.version()).isEqualTo(version);
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().allValues("Strict-Transport-Security"))
                    .containsExactly("max-age=100; includeSubDomains");
        }
    }

    @Test
    void hstsIsSentOnTlsErrorsToo() throws Exception {
        proxy.reconfigure(site("hsts: {maxAge: 100, includeSubDomains: true}",
                "limits: {maxRequestBodySize: 1Ki}"));
        HttpClient client = TlsClients.httpClient(ca.clientContext(), HttpClient.Version.HTTP_2);

        HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create("https://localhost:"
                        + proxy.runtime().httpsPort() + "/big"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[4096])).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(response.headers().firstValue("Strict-Transport-Security"))
                .hasValue("max-age=100; includeSubDomains");
    }

    @Test
    void strictPresetWithoutTlsHstsSendsTheDefaultOnTlsOnly() throws Exception {
        proxy.reconfigure(site("httpRedirect: false", "headers: {securityPreset: strict}"));

        HttpResponse<String> secure = https("/strict", HttpClient.Version.HTTP_2);
        assertThat(secure.headers().allValues("Strict-Transport-Security"))
                .containsExactly("max-age=63072000; includeSubDomains");
        assertThat(secure.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");

        RawResponse plain = proxy.request("GET", "app.example.com", "/strict");
        assertThat(plain.status()).isEqualTo(200);
        assertThat(plain.hasHeader("Strict-Transport-Security")).isFalse();
        assertThat(plain.header("X-Content-Type-Options")).isEqualTo("nosniff");
    }

    @Test
    void noHstsWithoutTlsHstsOrPreset() throws Exception {
        proxy.reconfigure(site("", ""));

        assertThat(https("/none", HttpClient.Version.HTTP_2).headers().firstValue("Strict-Transport-Security"))
                .isEmpty();
    }
}
