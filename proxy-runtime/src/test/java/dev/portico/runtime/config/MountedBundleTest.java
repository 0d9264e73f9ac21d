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
import dev.portico.runtime.testing.RunningProxy;
import dev.portico.runtime.testing.TestBackend;
import dev.portico.runtime.tls.TestCertificates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
