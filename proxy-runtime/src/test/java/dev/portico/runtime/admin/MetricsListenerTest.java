package dev.portico.runtime.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import dev.portico.crds.bundle.BundleFiles;
import dev.portico.crds.bundle.ConfigPush;
import dev.portico.runtime.RuntimeOptions;
import dev.portico.runtime.testing.AdminClient;
import dev.portico.runtime.testing.MountedBundle;
import dev.portico.runtime.testing.RawHttpClient;
import dev.portico.runtime.testing.RawResponse;
import dev.portico.runtime.testing.RunningProxy;
import dev.portico.runtime.testing.TestBackend;
import dev.portico.runtime.tls.TestCertificates;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The metrics listener ({@code --metrics-port}, docs/observability.md) over real loopback sockets, on a
 * runtime set up as a pod runs it (mounted bundle, pushes on): {@code /metrics} is there in plain HTTP
 * and moves with real traffic; nothing else is, a push least of all; the admin port still wants its token.
 */
@Timeout(60)
class MetricsListenerTest {

    private static final long MOUNTED = 100;
    private static final String TOKEN = "tok-metrics-7c2e";
    private static TestCertificates.Ca ca;
    private static Instant firstExpiry;
    private static TestCertificates.Issued first;
    private static Instant secondExpiry;
    private static TestCertificates.Issued second;

    @TempDir
    Path dir;
    TestBackend backend;
    RunningProxy proxy;
    int metricsPort;

    @BeforeAll
    static void certificates() {
        ca = TestCertificates.newCa("Portico Metrics CA");
        Instant now = Instant.now();
        firstExpiry = now.plus(Duration.ofDays(10)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        first = ca.issue(TestCertificates.leaf("first").ec().sans("localhost")
                .validity(now.minus(Duration.ofHours(1)), firstExpiry));
        secondExpiry = now.plus(Duration.ofDays(30)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        second = ca.issue(TestCertificates.leaf("second").ec().sans("localhost")
                .validity(now.minus(Duration.ofHours(1)), secondExpiry));
    }

    @BeforeEach
    void start() throws IOException {
        backend = TestBackend.start("app");
        Path token = Files.writeString(dir.resolve("token"), TOKEN);
        MountedBundle mounted = MountedBundle.mount(dir.resolve("mount"), files(1, "site-tls", first), MOUNTED);
        proxy = RunningProxy.start(RunningProxy.options(mounted.siteFile(), mounted.secretsDir())
                .withConfigPush(token, mounted.revisionFile()).withMetrics("127.0.0.1", 0));
        metricsPort = proxy.runtime().metricsPort();
    }

    @AfterEach
    void stop() {
        proxy.close();
        backend.close();
    }

    private Map<String, String> files(int generation, String secret, TestCertificates.Issued certificate) {
        Map<String, String> files = new TreeMap<>();
        files.put(BundleFiles.SITE_FILE, """
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: scraped, generation: %d}
                spec:
                  hosts: ["*"]
                  tls:
                    certificates: [{secretName: %s}]
                    httpRedirect: false
                  routes:
                    - match: {path: {value: /}}
                      backend: {service: 127.0.0.1, port: %d}
                """.formatted(generation, secret, backend.port()));
        files.put(BundleFiles.certificateKey(secret), TestCertificates.certificatePem(certificate.chain()));
        files.put(BundleFiles.privateKeyKey(secret),
                TestCertificates.keyPem(certificate.key(), TestCertificates.KeyFormat.PKCS8));
        return files;
    }

    private RawResponse metricsPort(String requestHead) throws IOException {
        try (RawHttpClient client = RawHttpClient.connect(metricsPort)) {
            client.send(requestHead);
            return client.readResponse(requestHead.startsWith("HEAD "));
        }
    }

    private String scrape() throws IOException {
        RawResponse response = metricsPort("GET /metrics HTTP/1.1\r\nHost: pod\r\nConnection: close\r\n\r\n");
        assertThat(response.status()).isEqualTo(200);
        return response.bodyText();
    }

    private static Double value(String scrape, String series) {
        Matcher m = Pattern.compile("^" + Pattern.quote(series) + " (\\S+)$", Pattern.MULTILINE).matcher(scrape);
        return m.find() ? Double.valueOf(m.group(1)) : null;
    }

    @Test
    void metricsArePlainHttpOnTheirOwnPortAndMoveWithProxiedTraffic() throws IOException {
        assertThat(metricsPort).isPositive().isNotEqualTo(proxy.adminPort());
        String requests = "portico_requests_total{route=\"routes[0]\",status=\"200\"}";
        String latencyCount = "portico_request_duration_seconds_count{route=\"routes[0]\"}";
        assertThat(value(scrape(), requests)).isNull();

        assertThat(proxy.get("/one").status()).isEqualTo(200);
        assertThat(proxy.get("/two").status()).isEqualTo(200);

        // A request is counted once its exchange is done, which may be a moment after the client has the response.
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            RawResponse response = metricsPort("GET /metrics HTTP/1.1\r\nHost: pod\r\nConnection: close\r\n\r\n");
            assertThat(response.header("Content-Type")).startsWith("text/plain").contains("version=0.0.4");
            assertThat(value(response.bodyText(), requests)).isEqualTo(2.0);
            assertThat(value(response.bodyText(), latencyCount)).isEqualTo(2.0);
        });
        assertThat(scrape()).contains("portico_request_duration_seconds_bucket{route=\"routes[0]\",le=\"0.005\"}");
    }

    @Test
    void headAnswersTheHeadersAlone() throws IOException {
        try (RawHttpClient client = RawHttpClient.connect(metricsPort)) {
            client.send("HEAD /metrics HTTP/1.1\r\nHost: pod\r\nConnection: close\r\n\r\n");
            RawResponse response = client.readResponse(true);
            assertThat(response.status()).isEqualTo(200);
            assertThat(Integer.parseInt(response.header("Content-Length"))).isPositive();
            assertThat(client.readUntilClosed()).as("no body after a HEAD's head").isEmpty();
        }
    }

    @Test
    void everyOtherPathIs404AndOtherMethods405() throws IOException {
        for (String path : new String[] {"/", "/healthz", "/readyz", "/config", "/metrics/x", "/metricsx"}) {
            assertThat(metricsPort("GET " + path + " HTTP/1.1\r\nHost: pod\r\nConnection: close\r\n\r\n").status())
                    .as(path).isEqualTo(404);
        }
        RawResponse post = metricsPort("POST /metrics HTTP/1.1\r\nHost: pod\r\nContent-Length: 0\r\n"
                + "Connection: close\r\n\r\n");
        assertThat(post.status()).isEqualTo(405);
        assertThat(post.header("Allow")).isEqualTo("GET, HEAD");
        assertThat(metricsPort("GET /metrics?name[]=x HTTP/1.1\r\nHost: pod\r\nConnection: close\r\n\r\n").status())
                .as("a query string is ignored, as Prometheus may send one").isEqualTo(200);
    }

    @Test
    void aPushOnTheMetricsPortIsNotFoundAndChangesNothingWhileTheAdminPortStillWantsItsToken() throws IOException {
        byte[] bundle = ConfigPush.of(MOUNTED + 1, files(2, "site-tls", first)).toJson();
        RawResponse viaMetrics = metricsPort("PUT /config HTTP/1.1\r\nHost: pod\r\nAuthorization: Bearer " + TOKEN
                + "\r\nContent-Type: application/json\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        assertThat(viaMetrics.status()).isEqualTo(404);
        assertThat(proxy.runtime().currentConfig().revision()).isEqualTo(MOUNTED);

        AdminClient admin = proxy.admin();
        assertThat(admin.put(bundle).status()).as("no token").isEqualTo(401);
        assertThat(proxy.runtime().currentConfig().revision()).isEqualTo(MOUNTED);
        assertThat(value(scrape(), "portico_config_push_total{outcome=\"unauthorized\"}")).isEqualTo(1.0);

        assertThat(admin.put(bundle, "Authorization: Bearer " + TOKEN).status()).isEqualTo(200);
        assertThat(proxy.runtime().currentConfig().revision()).isEqualTo(MOUNTED + 1);
        assertThat(value(scrape(), "portico_config_push_total{outcome=\"applied\"}")).isEqualTo(1.0);
    }

    @Test
    void aRequestWithABodyOrAnOversizedHeadIsRefused() throws IOException {
        try (RawHttpClient client = RawHttpClient.connect(metricsPort)) {
            client.send("GET /metrics HTTP/1.1\r\nHost: pod\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
            assertThat(client.readResponse().status()).isEqualTo(413);
        }
        String longPath = "/metrics?" + "a".repeat(MetricsServer.MAX_INITIAL_LINE);
        try (RawHttpClient client = RawHttpClient.connect(metricsPort)) {
            client.send("GET " + longPath + " HTTP/1.1\r\nHost: pod\r\n\r\n");
            assertThat(client.readResponse().status()).isEqualTo(400);
            assertThat(client.isClosedByPeer(Duration.ofSeconds(5))).isTrue();
        }
        try (RawHttpClient client = RawHttpClient.connect(metricsPort)) {
            client.send("GET /metrics HTTP/1.1\r\nHost: pod\r\nX-Big: " + "b".repeat(MetricsServer.MAX_HEADERS)
                    + "\r\n\r\n");
            assertThat(client.readResponse().status()).isEqualTo(400);
        }
        assertThat(scrape()).as("the listener still serves").contains("portico_connections_open");
    }

    @Test
    void certificateExpiryCountsDownToTheServingCertificatesNotAfterAndFollowsAPush() throws IOException {
        String firstSeries = "portico_tls_certificate_expiry_seconds{secret=\"site-tls\"}";
        double expected = Duration.between(Instant.now(), firstExpiry).toSeconds();
        assertThat(value(scrape(), firstSeries)).isCloseTo(expected, within(30.0));

        byte[] bundle = ConfigPush.of(MOUNTED + 1, files(2, "renewed-tls", second)).toJson();
        assertThat(proxy.admin().put(bundle, "Authorization: Bearer " + TOKEN).status()).isEqualTo(200);

        String scrape = scrape();
        assertThat(value(scrape, firstSeries)).as("a certificate no longer serving is no longer reported").isNull();
        assertThat(value(scrape, "portico_tls_certificate_expiry_seconds{secret=\"renewed-tls\"}"))
                .isCloseTo(Duration.between(Instant.now(), secondExpiry).toSeconds(), within(30.0));
    }

    @Test
    void aRenewedCertificateUnderTheSameSecretReportsItsNewExpiry() throws IOException {
        String series = "portico_tls_certificate_expiry_seconds{secret=\"site-tls\"}";
        byte[] bundle = ConfigPush.of(MOUNTED + 1, files(2, "site-tls", second)).toJson();
        assertThat(proxy.admin().put(bundle, "Authorization: Bearer " + TOKEN).status()).isEqualTo(200);

        assertThat(value(scrape(), series)).isCloseTo(Duration.between(Instant.now(), secondExpiry).toSeconds(),
                within(30.0));
    }

    @Test
    void withoutTheFlagThereIsNoMetricsListener(@TempDir Path other) {
        try (RunningProxy plain = RunningProxy.start(other, RunningProxy.siteFor(backend, ""))) {
            assertThat(plain.runtime().metricsPort()).isEqualTo(-1);
            assertThat(RunningProxy.options(plain.siteFile(), other).metricsPort()).isEqualTo(RuntimeOptions.METRICS_OFF);
        }
    }
}
