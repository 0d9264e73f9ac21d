package dev.portico.runtime.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import dev.portico.crds.bundle.BundleFiles;
import dev.portico.crds.bundle.ConfigPush;
import dev.portico.runtime.testing.AdminClient;
import dev.portico.runtime.testing.MountedBundle;
import dev.portico.runtime.testing.RawHttpClient;
import dev.portico.runtime.testing.RawResponse;
import dev.portico.runtime.testing.RunningProxy;
import dev.portico.runtime.testing.TestBackend;
import dev.portico.runtime.tls.TestCertificates;
import io.netty.handler.ssl.SslContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The mounted bundle as the pod boots from it (docs/config-push.md): the runtime reports
 * exactly the operator's hash, and the file reloader applies the same revision rule as a
 * push, so a kubelet lagging behind a push cannot roll the pod back.
 */
@Timeout(60)
class MountedBundleTest {

    private static final String TOKEN = "mounted-token";
    private static TestCertificates.Issued certificate;

    @TempDir
    Path dir;
    TestBackend one;
    TestBackend two;
    TestBackend three;
    MountedBundle mounted;
    RunningProxy proxy;
    AdminClient admin;
    ListAppender<ILoggingEvent> log;

    @BeforeAll
    static void certificates() {
        certificate = TestCertificates.selfSigned(TestCertificates.leaf("mounted").ec().sans("localhost"));
    }

    @BeforeEach
    void start() throws Exception {
        one = TestBackend.start("one");
        two = TestBackend.start("two");
        three = TestBackend.start("three");
        mounted = MountedBundle.mount(dir.resolve("mount"), files(one), 100);
        proxy = RunningProxy.start(mounted, Files.writeString(dir.resolve("token"), TOKEN));
        admin = proxy.admin();
        log = new ListAppender<>();
        log.start();
        ((Logger) LoggerFactory.getLogger(ConfigReloader.class)).addAppender(log);
    }

    @AfterEach
    void stop() {
        ((Logger) LoggerFactory.getLogger(ConfigReloader.class)).detachAppender(log);
        proxy.close();
        one.close();
        two.close();
        three.close();
    }

    /** A TLS site sending everything to {@code backend}, with its secret, under the bundle's keys. */
    private static Map<String, String> files(TestBackend backend) {
        Map<String, String> files = new TreeMap<>();
        files.put(BundleFiles.SITE_FILE, """
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: mounted}
                spec:
                  hosts: ["*"]
                  tls:
                    certificates: [{secretName: site-tls}]
                    httpRedirect: false
                  routes:
                    - match: {path: {value: /}}
                      backend: {service: 127.0.0.1, port: %d}
                """.formatted(backend.port()));
        files.put(BundleFiles.certificateKey("site-tls"), TestCertificates.certificatePem(certificate.chain()));
        files.put(BundleFiles.privateKeyKey("site-tls"),
                TestCertificates.keyPem(certificate.key(), TestCertificates.KeyFormat.TRADITIONAL));
        // Every operator's bundle has it; part of the hash like the rest.
        files.put(BundleFiles.ENDPOINTS_FILE, "{}\n");
        return files;
    }

    private List<String> ignored() {
        return log.list.stream().map(ILoggingEvent::getFormattedMessage).filter(m -> m.startsWith("files ignored"))
                .toList();
    }

    @Test
    void aPodBootingFromTheMountedBundleReportsTheOperatorsHashAndTheRevision() {
        JsonNode config = admin.config();

        // The contract with the operator: the same files hash the same on both sides.
        assertThat(config.get("hash").asText()).isEqualTo(BundleFiles.hash(files(one)));
        assertThat(config.get("revision").asLong()).isEqualTo(100);
        assertThat(proxy.runtime().currentConfig().hash()).isEqualTo(ConfigPush.of(100, files(one)).hash());
        assertThat(proxy.get("/x").bodyText()).isEqualTo("ok one GET /x");
    }

    @Test
    void anOlderMountedRevisionAfterAPushDoesNotRollBackAndTheSameRevisionChangesNothing() {
        assertThat(admin.push(ConfigPush.of(200, files(two)), TOKEN).status()).isEqualTo(200);
        assertThat(proxy.get("/x").bodyText()).isEqualTo("ok two GET /x");

        // The kubelet catches up late, with a bundle between the booted and the pushed one.
        mounted.update(files(three), 150);
        proxy.runtime().checkForChanges();
        proxy.runtime().checkForChanges();

        assertThat(proxy.get("/x").bodyText()).isEqualTo("ok two GET /x");
        assertThat(admin.config().get("revision").asLong()).isEqualTo(200);
        assertThat(ignored()).as("one log line, not one per poll").singleElement().asString()
                .contains("still serving revision 200").contains("older than the serving revision");

        // Then it mounts what was pushed: nothing changes, nothing is logged.
        mounted.update(files(two), 200);
        proxy.runtime().checkForChanges();
        assertThat(admin.config().get("hash").asText()).isEqualTo(BundleFiles.hash(files(two)));
        assertThat(ignored()).hasSize(1);
        assertThat(admin.metric("portico_config_reloads_total{result=\"applied\"}")).isZero();

        // A later bundle that only reached the files (a missed push) is applied from them.
        mounted.update(files(three), 201);
        proxy.runtime().checkForChanges();
        assertThat(proxy.get("/x").bodyText()).isEqualTo("ok three GET /x");
        assertThat(admin.config().get("revision").asLong()).isEqualTo(201);
        assertThat(admin.metric("portico_config_reloads_total{result=\"applied\"}")).isEqualTo(1);
    }

    @Test
    void theReloadersOwnPollPicksUpANewerMountedRevision() {
        mounted.update(files(two), 101);

        await().atMost(Duration.ofSeconds(10))
                .until(() -> admin.config().get("revision").asLong() == 101);
        assertThat(proxy.get("/x").bodyText()).isEqualTo("ok two GET /x");
        assertThat(admin.config().get("hash").asText()).isEqualTo(BundleFiles.hash(files(two)));
    }

    @Test
    void otherContentMountedAtTheServingRevisionIsIgnored() {
        mounted.update(files(two), 100);
        proxy.runtime().checkForChanges();

        assertThat(proxy.get("/x").bodyText()).isEqualTo("ok one GET /x");
        assertThat(ignored()).singleElement().asString().contains("serving with other content");
    }

    @Test
    void rateLimitBucketsAndTlsContextsCarryOverBetweenPushesAndFiles() throws Exception {
        // One token per second: a reload taking less than that cannot hide a kept bucket.
        assertThat(admin.push(ConfigPush.of(101, limited(one, "101")), TOKEN).status()).isEqualTo(200);
        SslContext context = proxy.runtime().currentConfig().tls().entries().get(0).context();
        assertThat(burst(4)).extracting(RawResponse::status).containsExactly(200, 200, 200, 429);

        assertThat(admin.push(ConfigPush.of(102, limited(two, "102")), TOKEN).status()).isEqualTo(200);
        RawResponse afterPush = burst(1).get(0);
        assertThat(afterPush.header("X-Revision")).isEqualTo("102");
        assertThat(afterPush.status()).as("the bucket was kept").isEqualTo(429);

        mounted.update(limited(three, "103"), 103);
        proxy.runtime().checkForChanges();
        RawResponse afterFiles = burst(1).get(0);
        assertThat(afterFiles.header("X-Revision")).isEqualTo("103");
        assertThat(afterFiles.status()).isEqualTo(429);
        // Same certificate, key and settings: the same context, so TLS sessions survive both.
        assertThat(proxy.runtime().currentConfig().tls().entries().get(0).context()).isSameAs(context);
    }

    /** {@link #files} with a rate limit of 1/s (burst 3) and an {@code X-Revision} response header. */
    private static Map<String, String> limited(TestBackend backend, String revision) {
        Map<String, String> files = files(backend);
        files.put(BundleFiles.SITE_FILE, files.get(BundleFiles.SITE_FILE).replace("  routes:\n", """
                  rateLimit: {requestsPerSecond: 1, burst: 3}
                  headers:
                    response: {set: {"X-Revision": "%s"}}
                  routes:
                """.formatted(revision)));
        return files;
    }

    /** {@code n} GETs pipelined on one connection, answered in order. */
    private List<RawResponse> burst(int n) throws Exception {
        try (RawHttpClient client = proxy.connect()) {
            client.send("GET /n HTTP/1.1\r\nHost: a\r\n\r\n".repeat(n));
            List<RawResponse> responses = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                responses.add(client.readResponse());
            }
            return responses;
        }
    }

    @Test
    void aRevisionFileThatHoldsNoNumberIsRefusedNamingTheFlag() throws Exception {
        Path revision = mounted.revisionFile();
        Path target = revision.toRealPath();
        Files.delete(target);
        Files.writeString(target, "next\n");
        proxy.runtime().checkForChanges();
        proxy.runtime().checkForChanges();

        assertThat(log.list).filteredOn(e -> e.getFormattedMessage().contains("--revision-file")).singleElement()
                .satisfies(e -> assertThat(e.getFormattedMessage()).contains("config rejected").contains("'next'"));
        assertThat(admin.config().get("revision").asLong()).isEqualTo(100);
        assertThat(proxy.get("/x").bodyText()).isEqualTo("ok one GET /x");
    }
}
