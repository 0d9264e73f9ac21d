package dev.portico.operator.e2e;

import static dev.portico.operator.e2e.ClusterStandIn.condition;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portico.crds.ProxySiteLoader;
import dev.portico.operator.PorticoOperator;
import dev.portico.operator.acme.Pebble;
import dev.portico.operator.testbed.ClusterTest;
import dev.portico.operator.testbed.ShippedOperator;
import dev.portico.operator.testbed.Testbed;
import dev.portico.operator.testbed.TestbedKubelet;
import dev.portico.runtime.testing.TestBackend;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two operator replicas with ACME on, as the shipped Deployment would run them: only the Lease holder orders (the
 * CA sees one order), and the replica that takes over after the leader dies finds the certificate in its Secret and
 * orders nothing.
 */
@ClusterTest
@Timeout(300)
class AcmeLeaderClusterTest {

    private static final String NS = "acme-leader";
    private static final String STANDBY = "acme-standby";
    /** JOSDK's default lease duration (15 s), its retry period and a margin for a busy machine. */
    private static final Duration TAKEOVER = Duration.ofSeconds(30);

    @TempDir
    Path root;

    @Test
    void onlyTheLeaderOrdersAndTheNextLeaderDoesNotOrderAgain(Testbed testbed) throws Exception {
        try (TestBackend app = TestBackend.start("app");
             Pebble pebble = new Pebble(root.resolve("pebble"), 8080, Duration.ofDays(7));
             ClusterStandIn cluster = new ClusterStandIn(testbed, root.resolve("cluster"))) {
            Map<String, String> env = Map.of("PORTICO_ACME_CA_FILE", pebble.caFile().toString());
            cluster.restartOperator(env);
            try (ShippedOperator standby = ShippedOperator.start(testbed, STANDBY, new Metrics() { },
                    ShippedOperator.PROXY_IMAGE, env)) {
                cluster.services.put("app", 8000, app);
                pebble.stop(); // until the host resolves to the pod, which exists only once the site does
                cluster.apply(ProxySiteLoader.parse("""
                        apiVersion: portico.dev/v1alpha1
                        kind: ProxySite
                        metadata: {name: one, namespace: %s}
                        spec:
                          hosts: ["one.example.com"]
                          replicas: 1
                          tls:
                            acme: {email: ops@portico.dev, directory: "%s", secretName: one-tls}
                          routes:
                            - backend: {service: app, port: 8000}
                        """.formatted(NS, pebble.directory())));
                TestbedKubelet.RunningPod pod = cluster.awaitPods(NS, "one", 1).get(0);
                await().atMost(Duration.ofSeconds(60)).until(() -> cluster.status(NS, "one"),
                        s -> s != null && "CAUnreachable".equals(condition(s, "CertificateReady").reason()));
                assertThat(holder(testbed)).as("the replica started first leads").isNotEqualTo(STANDBY);

                pebble.resolve("one.example.com", List.of(pod.ip()));
                pebble.start();
                cluster.edit(NS, "one", yaml -> yaml.replace("ops@portico.dev", "web@portico.dev"));
                await().atMost(Duration.ofSeconds(60)).until(() -> cluster.status(NS, "one"),
                        s -> "True".equals(condition(s, "CertificateReady").status()));
                assertThat(orders(pebble)).as("one order, by the leader").isEqualTo(1);

                cluster.operator().kill();
                await().atMost(TAKEOVER).until(() -> STANDBY.equals(holder(testbed)));
                // The new leader reconciles every site at once; give it time to (wrongly) order.
                Thread.sleep(10_000);
                assertThat(condition(cluster.status(NS, "one"), "CertificateReady").status()).isEqualTo("True");
                assertThat(orders(pebble)).as("the next leader found the certificate").isEqualTo(1);
            }
        }
    }

    private static String holder(Testbed testbed) {
        Lease lease = testbed.admin().leases().inNamespace(ShippedOperator.NAMESPACE)
                .withName(PorticoOperator.LEASE_NAME).get();
        return lease == null ? null : lease.getSpec().getHolderIdentity();
    }

    /** Orders the CA accepted: Pebble logs each one it adds. */
    private static long orders(Pebble pebble) {
        return pebble.log().lines().filter(line -> line.contains("Added order")).count();
    }
}
