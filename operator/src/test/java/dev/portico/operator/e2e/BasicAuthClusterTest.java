package dev.portico.operator.e2e;

import static dev.portico.operator.e2e.ClusterStandIn.condition;
import static org.assertj.core.api.Assertions.assertThat;

import at.favre.lib.crypto.bcrypt.BCrypt;
import dev.portico.crds.ProxySiteLoader;
import dev.portico.crds.v1alpha1.ProxySiteStatus;
import dev.portico.operator.testbed.ClusterTest;
import dev.portico.operator.testbed.Testbed;
import dev.portico.operator.testbed.TestbedKubelet;
import dev.portico.runtime.testing.RawHttpClient;
import dev.portico.runtime.testing.TestBackend;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * auth.basic on the real control plane, with the operator as shipped and real runtimes in the pods: the htpasswd
 * Secret is watched (a missing one, then a non-bcrypt one, are reported in ResolvedRefs and nothing is rolled out),
 * reaches the pods through the config bundle, and a rotated password is served without a restart.
 */
@ClusterTest
@Timeout(180)
class BasicAuthClusterTest {

    private static final String HOST = "vera.example.com";

    @TempDir
    static Path root;
    private static ClusterStandIn cluster;
    private String ns;
    private TestBackend backend;

    @BeforeAll
    static void startOperator(Testbed testbed) {
        cluster = new ClusterStandIn(testbed, root);
    }

    @AfterAll
    static void stopOperator() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @BeforeEach
    void namespace() {
        ns = "basicauth-" + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36 * 36 * 36), 36);
        cluster.service(ns, "vera-frontend", 3000);
        backend = TestBackend.start("vera");
        cluster.services.put("vera-frontend", 3000, backend);
    }

    @AfterEach
    void deleteNamespace() {
        cluster.client.namespaces().withName(ns).delete();
        backend.close();
    }

    @Test
    void theHtpasswdSecretIsCheckedWatchedAndServed() throws IOException {
        cluster.apply(ProxySiteLoader.parse("""
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: vera, namespace: %s}
                spec:
                  hosts: ["%s"]
                  replicas: 1
                  auth:
                    basic: {secretName: vera-htpasswd, realm: Vera}
                  routes:
                    - match: {path: {value: /}}
                      backend: {service: vera-frontend, port: 3000}
                """.formatted(ns, HOST)));

        ProxySiteStatus missing = eventually().until(() -> cluster.status(ns, "vera"),
                s -> condition(s, "ResolvedRefs").status().equals("False"));
        assertThat(condition(missing, "ResolvedRefs")).satisfies(c -> {
            assertThat(c.reason()).isEqualTo("SecretNotFound");
            assertThat(c.message()).contains("spec.auth.basic.secretName").contains("vera-htpasswd");
        });
        assertThat(cluster.get(Deployment.class, ns, "vera-proxy")).as("never served without its login").isNull();

        // MD5 lines are refused, naming the line; the Opaque Secrets' informer wakes the site at once.
        cluster.client.secrets().inNamespace(ns).resource(htpasswd("bob:$apr1$Qz7fH3dQ$0pZ4bC1W2d8f0k6hZ2vJ5/\n"))
                .create();
        eventually().untilAsserted(() -> assertThat(condition(cluster.status(ns, "vera"), "ResolvedRefs"))
                .satisfies(c -> {
                    assertThat(c.reason()).isEqualTo("InvalidSecret");
                    assertThat(c.message()).contains("key \"auth\" line 1 (user \"bob\"): an MD5 ($apr1$) hash");
                }));
        assertThat(cluster.get(Deployment.class, ns, "vera-proxy")).isNull();

        cluster.client.secrets().inNamespace(ns).resource(htpasswd(line("alice", "s3cret"))).update();
        eventually().untilAsserted(() -> assertThat(condition(cluster.status(ns, "vera"), "ResolvedRefs").status())
                .isEqualTo("True"));
        TestbedKubelet.RunningPod pod = cluster.awaitPods(ns, "vera", 1).get(0);
        cluster.awaitProgrammed(ns, "vera");
        assertThat(get(pod, null)).isEqualTo(401);
        assertThat(get(pod, "alice:s3cret")).isEqualTo(200);

        // A new password reaches the running pod through a push: no restart, the old one no longer works.
        String hashBefore = cluster.bundleHash(ns, "vera");
        cluster.client.secrets().inNamespace(ns).resource(htpasswd(line("carol", "n3w"))).update();
        eventually().until(() -> !cluster.bundleHash(ns, "vera").equals(hashBefore));
        cluster.awaitProgrammed(ns, "vera");
        assertThat(get(pod, "alice:s3cret")).isEqualTo(401);
        assertThat(get(pod, "carol:n3w")).isEqualTo(200);
        assertThat(cluster.awaitPods(ns, "vera", 1).get(0).restarts()).isZero();
    }

    private Secret htpasswd(String lines) {
        return new SecretBuilder().withNewMetadata().withName("vera-htpasswd").withNamespace(ns).endMetadata()
                .withType("Opaque")
                .withData(Map.of("auth", ClusterStandIn.base64(lines)))
                .build();
    }

    private static String line(String user, String password) {
        return user + ":" + BCrypt.with(BCrypt.Version.VERSION_2Y).hashToString(4, password.toCharArray()) + "\n";
    }

    /** The status of a GET / to the pod's plain-HTTP port, with basic credentials or none. */
    private static int get(TestbedKubelet.RunningPod pod, String credentials) throws IOException {
        try (RawHttpClient client = RawHttpClient.over(new Socket(pod.ip(), pod.runtime().httpPort()))) {
            client.send("GET / HTTP/1.1\r\nHost: " + HOST + "\r\n"
                    + (credentials == null ? "" : "Authorization: Basic " + Base64.getEncoder()
                            .encodeToString(credentials.getBytes(StandardCharsets.UTF_8)) + "\r\n")
                    + "Connection: close\r\n\r\n");
            return client.readResponse().status();
        }
    }

    private static ConditionFactory eventually() {
        return Awaitility.await().atMost(ClusterStandIn.CONVERGE);
    }
}
