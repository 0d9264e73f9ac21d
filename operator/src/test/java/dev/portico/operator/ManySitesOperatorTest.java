package dev.portico.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Fifty sites in three namespaces: all converge, and a renewed TLS Secret reconciles and
 * re-renders the bundles of exactly the sites that use it - not a site of another namespace that
 * uses a Secret of the same name, not any other site.
 */
@EnableKubernetesMockClient(crud = true)
class ManySitesOperatorTest {

    private static final List<String> NAMESPACES = List.of("team-a", "team-b", "team-c");
    private static final int SITES = 50;
    private static final String SHARED_TLS = "wildcard-tls";
    /** The two sites of team-a that use team-a's wildcard-tls; site-01 in team-b uses team-b's. */
    private static final List<String> RENEWED = List.of("team-a/site-00", "team-a/site-03");

    KubernetesMockServer server;
    KubernetesClient client;

    private MockCluster cluster;
    private Operator operator;
    /** namespace/name of every finished reconcile. */
    private final Queue<String> reconciled = new ConcurrentLinkedQueue<>();

    @BeforeEach
    void startOperator() {
        cluster = new MockCluster(server, client);
        operator = cluster.startOperator(new Metrics() {
            @Override
            public void finishedReconciliation(HasMetadata resource, Map<String, Object> metadata) {
                reconciled.add(resource.getMetadata().getNamespace() + "/" + resource.getMetadata().getName());
            }
        });
    }

    @AfterEach
    void stopOperator() {
        operator.stop();
    }

    @Test
    void fiftySitesConvergeAndARenewalReRendersExactlyTheTwoThatUseTheSecret() {
        for (String namespace : NAMESPACES) {
            cluster.createService(namespace, "app", 8080);
            cluster.createTlsSecret(namespace, SHARED_TLS, "FIRST");
        }
        List<String> sites = IntStream.range(0, SITES).mapToObj(i -> {
            String namespace = NAMESPACES.get(i % NAMESPACES.size());
            String name = "site-%02d".formatted(i);
            boolean tls = i <= 3; // site-00 and site-03 in team-a, site-01 in team-b, site-02 in team-c
            cluster.create(MockCluster.site(name, namespace,
                    tls ? "  tls: {certificates: [{secretName: " + SHARED_TLS + "}]}\n" : "", """
                        - match: {path: {value: /}}
                          backend: {service: app, port: 8080}
                    """));
            return namespace + "/" + name;
        }).toList();

        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            for (String site : sites) {
                assertThat(cluster.get(Deployment.class, namespace(site), name(site) + "-proxy")).as(site).isNotNull();
                assertThat(cluster.get(Service.class, namespace(site), name(site) + "-proxy")).as(site).isNotNull();
                assertThat(cluster.get(Secret.class, namespace(site), name(site) + "-proxy-config")).as(site).isNotNull();
            }
        });
        Map<String, String> before = bundleVersions(sites);
        reconciled.clear();

        cluster.createTlsSecret("team-a", SHARED_TLS, "RENEWED");

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            for (String site : RENEWED) {
                Secret bundle = cluster.get(Secret.class, namespace(site), name(site) + "-proxy-config");
                assertThat(MockCluster.decode(bundle, SHARED_TLS + ".tls.crt")).as(site).contains("RENEWED");
            }
        });
        // Give a stray re-render the time to happen before saying none did.
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            Map<String, String> after = bundleVersions(sites);
            List<String> changed = sites.stream().filter(site -> !before.get(site).equals(after.get(site))).toList();
            assertThat(changed).containsExactlyInAnyOrderElementsOf(RENEWED);
        });
        // The index maps the Secret to its two users: no other site was even reconciled.
        assertThat(Set.copyOf(reconciled)).containsExactlyInAnyOrderElementsOf(RENEWED);
    }

    private Map<String, String> bundleVersions(List<String> sites) {
        Map<String, String> versions = new LinkedHashMap<>();
        for (String site : sites) {
            versions.put(site, cluster.get(Secret.class, namespace(site), name(site) + "-proxy-config")
                    .getMetadata().getResourceVersion());
        }
        return versions;
    }

    private static String namespace(String site) {
        return site.substring(0, site.indexOf('/'));
    }

    private static String name(String site) {
        return site.substring(site.indexOf('/') + 1);
    }
}
