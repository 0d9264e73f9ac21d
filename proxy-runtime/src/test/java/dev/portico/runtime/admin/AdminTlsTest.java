package dev.portico.runtime.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portico.crds.bundle.BundleFiles;
import dev.portico.crds.bundle.ConfigPush;
import dev.portico.runtime.ProxyRuntime;
import dev.portico.runtime.RuntimeOptions;
import dev.portico.runtime.testing.AdminClient;
import dev.portico.runtime.testing.MountedBundle;
import dev.portico.runtime.testing.RawHttpClient;
import dev.portico.runtime.testing.RawResponse;
import dev.portico.runtime.testing.RunningProxy;
import dev.portico.runtime.testing.TestBackend;
import dev.portico.runtime.tls.TestCertificates;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin port with {@code --admin-tls-secret} (docs/config-push.md, "The admin channel"), over
 * real loopback TLS: it speaks TLS only, with the certificate of the bundle's admin secret; pushes
 * with the token work inside TLS; a renewed certificate, pushed or mounted, serves the next
 * connection while open ones carry on; a bundle whose admin pair cannot serve is refused whole.
 */
@Timeout(60)
class AdminTlsTest {

    private static final String ADMIN_SECRET = "_admin";
    private static final String TOKEN = "tok-admin-tls";
    private static final long MOUNTED = 100;
    private static TestCertificates.Ca ca;
    private static TestCertificates.Issued first;
    private static TestCertificates.Issued second;
    private static TestCertificates.Issued third;

    @TempDir
    Path dir;
    TestBackend backend;
    MountedBundle mounted;
    RunningProxy proxy;

    @BeforeAll
    static void certificates() {
        ca = TestCertificates.newCa("Portico Admin CA (test)");
        first = ca.issue(TestCertificates.leaf("admin-1").ec().sans("vera-proxy.web.svc"));
        second = ca.issue(TestCertificates.leaf("admin-2").ec().sans("vera-proxy.web.svc"));
        third = ca.issue(TestCertificates.leaf("admin-3").ec().sans("vera-proxy.web.svc"));
    }

    @BeforeEach
    void start() throws IOException {
        backend = TestBackend.start("one");
        Path token = Files.writeString(dir.resolve("token"), TOKEN);
        mounted = MountedBundle.mount(dir.resolve("mount"), files(1, first), MOUNTED);
        proxy = RunningProxy.start(RunningProxy.options(mounted.siteFile(), mounted.secretsDir())
                .withConfigPush(token, mounted.revisionFile()).withAdminTls(ADMIN_SECRET));
    }

    @AfterEach
    void stop() {
        proxy.close();
        backend.close();
    }

    private Map<String, String> files(int generation, TestCertificates.Issued admin) {
        Map<String, String> files = new TreeMap<>();
        files.put(BundleFiles.SITE_FILE, RunningProxy.siteFor(backend, "").replace("generation: 1",
                "generation: " + generation));
        if (admin != null) {
            files.put(BundleFiles.certificateKey(ADMIN_SECRET), TestCertificates.certificatePem(admin.chain()));
            files.put(BundleFiles.privateKeyKey(ADMIN_SECRET),
                    TestCertificates.keyPem(admin.key(), TestCertificates.KeyFormat.PKCS8));
        }
        return files;
    }

    /** A TLS connection to the admin port trusting only the test CA (no host name check: this is the operator's job). */
    private SSLSocket tls() throws IOException {
        SSLContext context = ca.clientContext();
        SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", proxy.adminPort());
        socket.setSoTimeout(10_000);
        socket.startHandshake();
        return socket;
    }

    private static X509Certificate served(SSLSocket socket) throws IOException {
        return (X509Certificate) socket.getSession().getPeerCertificates()[0];
    }

    private static RawResponse request(RawHttpClient client, String method, String path, byte[] body, String... headers)
            throws IOException {
        StringBuilder head = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: admin\r\n");
        if (body != null) {
            head.append("Content-Type: application/json\r\nContent-Length: ").append(body.length).append("\r\n");
        }
        for (String header : headers) {
            head.append(header).append("\r\n");
        }
        client.send(head.append("\r\n").toString());
        if (body != null) {
            client.send(body);
        }
        return client.readResponse();
    }

    private RawResponse push(ConfigPush push) throws IOException {
        try (SSLSocket socket = tls(); RawHttpClient client = RawHttpClient.over(socket)) {
            return request(client, "PUT", "/config", push.toJson(), "Authorization: Bearer " + TOKEN);
        }
    }

    private X509Certificate servedToANewConnection() throws IOException {
        try (SSLSocket socket = tls()) {
            return served(socket);
        }
    }

    @Test
    void theAdminPortServesTheBundlesAdminCertificateAndAnswersInsideTls() throws IOException {
        try (SSLSocket socket = tls(); RawHttpClient client = RawHttpClient.over(socket)) {
            assertThat(served(socket)).isEqualTo(first.leaf());
            assertThat(request(client, "GET", "/healthz", null).status()).isEqualTo(200);
            assertThat(request(client, "GET", "/readyz", null).status()).isEqualTo(200);
            RawResponse metrics = request(client, "GET", "/metrics", null);
            assertThat(metrics.status()).isEqualTo(200);
            assertThat(metrics.bodyText()).contains("portico_config_push_total");
        }
    }

    @Test
    void aPushWithTheTokenWorksInsideTlsAndOneWithoutIsRefused() throws IOException {
        ConfigPush push = ConfigPush.of(MOUNTED + 1, files(2, first));
        try (SSLSocket socket = tls(); RawHttpClient client = RawHttpClient.over(socket)) {
            assertThat(request(client, "PUT", "/config", push.toJson()).status()).isEqualTo(401);
            assertThat(request(client, "PUT", "/config", push.toJson(), "Authorization: Bearer " + TOKEN).status())
                    .isEqualTo(200);
        }
        assertThat(proxy.runtime().currentConfig().hash()).isEqualTo(push.hash());
        assertThat(proxy.runtime().currentConfig().generation()).isEqualTo(2);
    }

    @Test
    void plainHttpToTheTlsAdminPortGetsNoAnswer() throws IOException {
        try (RawHttpClient client = RawHttpClient.connect(proxy.adminPort())) {
            client.send("GET /healthz HTTP/1.1\r\nHost: admin\r\nConnection: close\r\n\r\n");
            byte[] answer = client.readUntilClosedOrReset();
            // Nothing HTTP comes back: at most a TLS alert record (content type 21), then the close.
            assertThat(new String(answer, StandardCharsets.ISO_8859_1)).doesNotContain("HTTP/1.1");
            if (answer.length > 0) {
                assertThat(answer[0]).isEqualTo((byte) 21);
            }
        }
        // And the plain-HTTP test client the other admin tests use cannot push either.
        assertThatThrownBy(() -> new AdminClient(proxy.adminPort()).push(ConfigPush.of(MOUNTED + 1, files(2, first)),
                TOKEN)).isInstanceOf(RuntimeException.class);
        assertThat(proxy.runtime().currentConfig().revision()).isEqualTo(MOUNTED);
    }

    @Test
    void aPushedCertificateServesNewConnectionsWhileOpenOnesCarryOn() throws IOException {
        try (SSLSocket open = tls(); RawHttpClient client = RawHttpClient.over(open)) {
            assertThat(request(client, "GET", "/healthz", null).status()).isEqualTo(200);

            assertThat(push(ConfigPush.of(MOUNTED + 1, files(1, second))).status()).isEqualTo(200);

            assertThat(servedToANewConnection()).isEqualTo(second.leaf());
            // The connection opened before the swap keeps its session and keeps being served.
            assertThat(request(client, "GET", "/healthz", null).status()).isEqualTo(200);
            assertThat(request(client, "GET", "/config", null).bodyText()).contains("\"revision\":" + (MOUNTED + 1));
            assertThat(served(open)).isEqualTo(first.leaf());
        }
    }

    @Test
    void aMountedCertificateServesNewConnectionsAfterTheFilesChange() throws IOException {
        mounted.update(files(1, third), MOUNTED + 5);
        proxy.runtime().checkForChanges();

        assertThat(proxy.runtime().currentConfig().revision()).isEqualTo(MOUNTED + 5);
        assertThat(servedToANewConnection()).isEqualTo(third.leaf());
    }

    @Test
    void aBundleWhoseAdminPairCannotServeIsRefusedWholeAndTheOldCertificateServes() throws IOException {
        Map<String, String> mismatched = files(2, second);
        mismatched.put(BundleFiles.privateKeyKey(ADMIN_SECRET),
                TestCertificates.keyPem(third.key(), TestCertificates.KeyFormat.PKCS8));
        RawResponse refused = push(ConfigPush.of(MOUNTED + 1, mismatched));
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.bodyText()).contains("--admin-tls-secret").contains("does not belong to the certificate");

        RawResponse missing = push(ConfigPush.of(MOUNTED + 2, files(2, null)));
        assertThat(missing.status()).isEqualTo(400);
        assertThat(missing.bodyText()).contains("--admin-tls-secret").contains("files._admin.tls.crt");

        TestCertificates.Issued expired = ca.issue(TestCertificates.leaf("admin-old").ec().sans("vera-proxy.web.svc")
                .expired());
        RawResponse stale = push(ConfigPush.of(MOUNTED + 3, files(2, expired)));
        assertThat(stale.status()).isEqualTo(400);
        assertThat(stale.bodyText()).contains("--admin-tls-secret").contains("expired");

        assertThat(proxy.runtime().currentConfig().revision()).isEqualTo(MOUNTED);
        assertThat(servedToANewConnection()).isEqualTo(first.leaf());
    }

    @Test
    void pushesToANonLoopbackAdminPortWithoutTlsAreRefusedAtStart() throws IOException {
        Path token = Files.writeString(dir.resolve("token2"), TOKEN);
        RuntimeOptions options = RunningProxy.options(mounted.siteFile(), mounted.secretsDir())
                .withConfigPush(token, mounted.revisionFile());
        RuntimeOptions everywhere = new RuntimeOptions(options.siteFile(), options.secretsDir(), options.bind(), 0, 0,
                "0.0.0.0", 0, 1, Duration.ofSeconds(1), options.reloadInterval(), token, mounted.revisionFile());

        assertThatThrownBy(() -> ProxyRuntime.start(everywhere))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--admin-bind 0.0.0.0 is not a loopback address")
                .hasMessageContaining("--admin-tls-secret");
    }

    @Test
    void withoutTheAdminSecretInTheMountedBundleTheRuntimeDoesNotStart() throws IOException {
        MountedBundle bare = MountedBundle.mount(dir.resolve("bare"), files(1, null), MOUNTED);
        RuntimeOptions options = RunningProxy.options(bare.siteFile(), bare.secretsDir()).withAdminTls(ADMIN_SECRET);

        assertThatThrownBy(() -> ProxyRuntime.start(options))
                .hasMessageContaining("--admin-tls-secret").hasMessageContaining("_admin");
    }
}
