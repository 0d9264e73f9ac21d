package dev.portico.runtime.tls;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.crds.bundle.AcmeChallengeAnswers;
import dev.portico.crds.bundle.BundleFiles;
import dev.portico.crds.bundle.ConfigPush;
import dev.portico.runtime.testing.MountedBundle;
import dev.portico.runtime.testing.RawResponse;
import dev.portico.runtime.testing.RunningProxy;
import dev.portico.runtime.testing.TestBackend;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * ACME HTTP-01 answers from the bundle, over real sockets: mounted (a pod that starts mid-order) and pushed, on the
 * plain listener of a site that redirects to https and on the TLS listener; a token the operator did not push
 * reaches the backend, as a solver behind the site needs.
 */
@Timeout(60)
class AcmeChallengeTest {

    private static final String TOKEN = "acme-token";
    private static final String MOUNTED = "mountedTok_1.thumb-print";
    private static final String PUSHED = "pushedTok-2.thumb-print";
    static TestCertificates.Ca ca;

    @TempDir
    Path dir;
    TestBackend backend;
    RunningProxy proxy;

    @BeforeAll
    static void certificates() {
        ca = TestCertificates.newCa("Portico ACME Test CA");
    }

    @BeforeEach
    void start() throws Exception {
        backend = TestBackend.start("app");
        MountedBundle mounted = MountedBundle.mount(dir.resolve("mount"), files(List.of(MOUNTED)), 1);
        proxy = RunningProxy.start(mounted, Files.writeString(dir.resolve("token"), TOKEN));
    }

    @AfterEach
    void stop() {
        proxy.close();
        backend.close();
    }

    private Map<String, String> files(List<String> answers) {
        Map<String, String> files = new TreeMap<>();
        files.put(BundleFiles.SITE_FILE, """
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: acme}
                spec:
                  hosts: ["app.example.com", "localhost"]
                  accessControl: {allow: ["203.0.113.0/24"]}
                  tls:
                    certificates: [{secretName: site-tls}]
                  routes:
                    - match: {path: {value: /}}
                      backend: {service: 127.0.0.1, port: %d}
                """.formatted(backend.port()));
        TestCertificates.Issued issued = ca.issue(TestCertificates.leaf("site").ec().sans("localhost"));
        files.put(BundleFiles.certificateKey("site-tls"), TestCertificates.certificatePem(issued.chain()));
        files.put(BundleFiles.privateKeyKey("site-tls"),
                TestCertificates.keyPem(issued.key(), TestCertificates.KeyFormat.PKCS8));
        files.put(BundleFiles.ACME_CHALLENGES_FILE, AcmeChallengeAnswers.render(answers));
        return files;
    }

    private RawResponse challenge(String host, String token) {
        return proxy.request("GET", host, "/.well-known/acme-challenge/" + token);
    }

    @Test
    void aMountedAnswerIsServedOverPlainHttpDespiteTheRedirectAndTheAllowList() {
        RawResponse response = challenge("app.example.com", "mountedTok_1");

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.bodyText()).isEqualTo(MOUNTED);
        assertThat(response.header("Content-Type")).startsWith("text/plain");
        // Anything else of the site is still refused by its allow list (the test client is 127.0.0.1).
        assertThat(proxy.request("GET", "app.example.com", "/").status()).isEqualTo(403);
    }

    @Test
    void aPushedAnswerReplacesTheMountedOnesAndIsServedOverTlsToo() throws Exception {
        assertThat(proxy.admin().push(ConfigPush.of(2, files(List.of(PUSHED))), TOKEN).status()).isEqualTo(200);

        assertThat(challenge("localhost", "pushedTok-2").bodyText()).isEqualTo(PUSHED);
        HttpClient client = TlsClients.httpClient(ca.clientContext(), HttpClient.Version.HTTP_2);
        HttpResponse<String> overTls = client.send(HttpRequest.newBuilder(URI.create("https://localhost:"
                + proxy.runtime().httpsPort() + "/.well-known/acme-challenge/pushedTok-2")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(overTls.statusCode()).isEqualTo(200);
        assertThat(overTls.body()).isEqualTo(PUSHED);
        // The mounted token is no longer pending: it goes where the site's routes send it (here: refused, 403).
        assertThat(challenge("localhost", "mountedTok_1").status()).isEqualTo(403);
    }

    @Test
    void aTokenNotPushedAndAnotherHostAreLeftToRouting() throws Exception {
        String open = files(List.of(MOUNTED)).get(BundleFiles.SITE_FILE).replace(
                "  accessControl: {allow: [\"203.0.113.0/24\"]}\n", "");
        Map<String, String> files = files(List.of(MOUNTED));
        files.put(BundleFiles.SITE_FILE, open);
        assertThat(proxy.admin().push(ConfigPush.of(2, files), TOKEN).status()).isEqualTo(200);

        RawResponse unknown = challenge("app.example.com", "someone-elses");
        assertThat(unknown.status()).isEqualTo(200);
        assertThat(unknown.bodyText()).isEqualTo("ok app GET /.well-known/acme-challenge/someone-elses");
        assertThat(challenge("other.example.com", "mountedTok_1").status()).isEqualTo(404);
        assertThat(proxy.request("POST", "app.example.com", "/.well-known/acme-challenge/mountedTok_1").bodyText())
                .startsWith("ok app POST");
    }
}
