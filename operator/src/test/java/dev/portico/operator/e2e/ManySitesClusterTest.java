package dev.portico.operator.e2e;

import static dev.portico.operator.e2e.ClusterStandIn.decode;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portico.crds.ProxySiteLoader;
import dev.portico.operator.api.ProxySiteResource;
import dev.portico.operator.push.ConfigPusher;
import dev.portico.operator.testbed.ClusterTest;
import dev.portico.operator.testbed.StandInPods;
import dev.portico.operator.testbed.Testbed;
import dev.portico.runtime.tls.TestCertificates;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fifty sites in three namespaces on the real control plane: all converge, and a renewed TLS
 * Secret re-renders the bundles of exactly the sites that use it - not a site of another
 * namespace that uses a Secret of the same name, not any other site. The pods are stand-ins
 * ({@link StandInPods}) that answer the config push, so fifty sites cost one event loop.
 */
@ClusterTest
@Timeout(240)
class ManySitesClusterTest {

    private static final int SITES = 50;
    private static final String SHARED_TLS = "wildcard-tls";
    private static final List<Class<? extends HasMetadata>> WRITTEN = List.of(ProxySiteResource.class,
            Deployment.class, Service.class, ServiceAccount.class, Secret.class, NetworkPolicy.class,
            PodDisruptionBudget.class);

    @TempDir
    Path root;

    private record Reconcile(String site, Instant at) {}

    @Test
    void fiftySitesConvergeAndARenewalReRendersExactlyTheTwoThatUseTheSecret(Testbed testbed) {
        String suffix = Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36 * 36), 36);
        List<String> namespaces = List.of("team-a-" + suffix, "team-b-" + suffix, "team-c-" + suffix);
        String teamA = namespaces.get(0);
        // The two sites of team-a that use team-a's wildcard-tls; site-01 in team-b uses team-b's.
        List<String> renewedSites = List.of(teamA + "/site-00", teamA + "/site-03");
        Queue<Reconcile> reconciles = new ConcurrentLinkedQueue<>();
        Metrics recording = new Metrics() {
            @Override
            public void finishedReconciliation(HasMetadata resource, Map<String, Object> metadata) {
                reconciles.add(new Reconcile(resource.getMetadata().getNamespace() + "/" + resource.getMetadata().getName(),
                        Instant.now()));
            }
        };
        try (StandInPods standIns = new StandInPods();
             ClusterStandIn cluster = new ClusterStandIn(testbed, root, pod -> true, standIns, recording)) {
            for (String namespace : namespaces) {
                cluster.service(namespace, "app", 8080);
                cluster.tlsSecret(namespace, SHARED_TLS, "*.example.com");
            }
            List<String> sites = IntStream.range(0, SITES).mapToObj(i -> {
                String namespace = namespaces.get(i % namespaces.size());
                String name = "site-%02d".formatted(i);
                boolean tls = i <= 3; // site-00 and site-03 in team-a, site-01 in team-b, site-02 in team-c
                cluster.create(ProxySiteLoader.parse(site(namespace, name,
                        tls ? "  tls: {certificates: [{secretName: " + SHARED_TLS + "}]}\n" : "")));
                return namespace + "/" + name;
            }).toList();

            // Settled: programmed, and Ready, whose changes (the Deployments becoming available) are status writes too.
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500))
                    .until(() -> programmed(cluster, namespaces).containsAll(sites) && ready(cluster, namespaces, sites));
            Map<String, String> before = versions(cluster, namespaces);
            Map<String, Secret> bundlesBefore = bundles(cluster, renewedSites);
            Instant renewedAt = Instant.now();

            TestCertificates.Issued renewed = cluster.tlsSecret(teamA, SHARED_TLS, "*.example.com");

            String renewedPem = TestCertificates.certificatePem(renewed.chain());
            await().atMost(ClusterStandIn.CONVERGE).untilAsserted(() -> {
                for (Secret bundle : bundles(cluster, renewedSites).values()) {
                    assertThat(decode(bundle, SHARED_TLS + ".tls.crt")).as(bundle.getMetadata().getName())
                            .isEqualTo(renewedPem);
                }
                assertThat(programmed(cluster, namespaces)).as("the pods serve the new bundles").containsAll(sites);
            });
            bundles(cluster, renewedSites).forEach((site, bundle) -> {
                Secret old = bundlesBefore.get(site);
                assertThat(hash(bundle)).as(site).isNotEqualTo(hash(old));
                assertThat(Long.parseLong(decode(bundle, "revision"))).as(site)
                        .isGreaterThan(Long.parseLong(decode(old, "revision")));
            });
            // What changed: the Secret itself, the two bundles and the two sites' status. Given the
            // time a stray re-render would take to show, nothing else.
            Set<String> expected = new TreeSet<>(Set.of(teamA + "/Secret/" + SHARED_TLS));
            for (String site : renewedSites) {
                expected.add(namespace(site) + "/Secret/" + name(site) + "-proxy-config");
                expected.add(namespace(site) + "/ProxySiteResource/" + name(site));
            }
            await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
                Map<String, String> after = versions(cluster, namespaces);
                assertThat(after.keySet()).isEqualTo(before.keySet());
                assertThat(changed(before, after)).isEqualTo(expected);
            });
            // The index maps the Secret to its two users: no other site was even reconciled, but
            // for the re-check every site gets VERIFY_EVERY after its last reconcile.
            assertThat(reconciledSince(reconciles, renewedAt, false)).containsAll(renewedSites);
            assertThat(reconciledSince(reconciles, renewedAt, true)).containsExactlyInAnyOrderElementsOf(renewedSites);
        }
    }

    /**
     * The sites with a reconcile that finished after {@code since}; with {@code notPeriodic},
     * leaving out a site whose first such reconcile came a full {@link ConfigPusher#VERIFY_EVERY}
     * after its previous one (the timer's, not an event's).
     */
    private static Set<String> reconciledSince(Queue<Reconcile> reconciles, Instant since, boolean notPeriodic) {
        Map<String, List<Instant>> bySite = new TreeMap<>();
        reconciles.forEach(r -> bySite.computeIfAbsent(r.site(), s -> new ArrayList<>()).add(r.at()));
        Set<String> sites = new TreeSet<>();
        bySite.forEach((site, times) -> {
            Optional<Instant> previous = times.stream().filter(t -> !t.isAfter(since)).reduce((a, b) -> b);
            times.stream().filter(t -> t.isAfter(since)).findFirst().ifPresent(first -> {
                boolean periodic = previous.isPresent() && Duration.between(previous.get(), first)
                        .compareTo(ConfigPusher.VERIFY_EVERY.minusSeconds(1)) >= 0;
                if (!notPeriodic || !periodic) {
                    sites.add(site);
                }
            });
        });
        return sites;
    }

    /** namespace/name of every site whose ready pods all serve its current bundle. */
    private static boolean ready(ClusterStandIn cluster, List<String> namespaces, List<String> sites) {
        Set<String> ready = new TreeSet<>();
        for (String namespace : namespaces) {
            for (ProxySiteResource site : cluster.client.resources(ProxySiteResource.class).inNamespace(namespace)
                    .list().getItems()) {
                if (ClusterStandIn.condition(site.getStatus(), "Ready").status().equals("True")) {
                    ready.add(namespace + "/" + site.getMetadata().getName());
                }
            }
        }
        return ready.containsAll(sites);
    }

    private static Set<String> programmed(ClusterStandIn cluster, List<String> namespaces) {
        Set<String> programmed = new TreeSet<>();
        for (String namespace : namespaces) {
            Map<String, String> hashes = cluster.client.secrets().inNamespace(namespace).list().getItems().stream()
                    .filter(s -> s.getMetadata().getName().endsWith("-proxy-config"))
                    .collect(Collectors.toMap(s -> s.getMetadata().getName(), ManySitesClusterTest::hash));
            for (ProxySiteResource site : cluster.client.resources(ProxySiteResource.class).inNamespace(namespace)
                    .list().getItems()) {
                var status = site.getStatus();
                String bundle = site.getMetadata().getName() + "-proxy-config";
                if (status != null && ClusterStandIn.condition(status, "Programmed").status().equals("True")
                        && hashes.containsKey(bundle) && hashes.get(bundle).equals(status.configHash())) {
                    programmed.add(namespace + "/" + site.getMetadata().getName());
                }
            }
        }
        return programmed;
    }

    /**
     * namespace/Kind/name to resourceVersion of every object of the kinds the operator writes;
     * for Deployments their generation, which only a spec change moves: their status is the
     * Deployment controller's to write while pods come and go.
     */
    private static Map<String, String> versions(ClusterStandIn cluster, List<String> namespaces) {
        Map<String, String> versions = new TreeMap<>();
        for (String namespace : namespaces) {
            for (Class<? extends HasMetadata> kind : WRITTEN) {
                for (HasMetadata object : cluster.client.resources(kind).inNamespace(namespace).list().getItems()) {
                    versions.put(namespace + "/" + kind.getSimpleName() + "/" + object.getMetadata().getName(),
                            object instanceof Deployment ? "generation " + object.getMetadata().getGeneration()
                                    : object.getMetadata().getResourceVersion());
                }
            }
        }
        return versions;
    }

    private static Set<String> changed(Map<String, String> before, Map<String, String> after) {
        return after.keySet().stream().filter(key -> !after.get(key).equals(before.get(key)))
                .collect(Collectors.toCollection(TreeSet::new));
    }

    private static Map<String, Secret> bundles(ClusterStandIn cluster, List<String> sites) {
        Map<String, Secret> bundles = new TreeMap<>();
        for (String site : sites) {
            bundles.put(site, cluster.get(Secret.class, namespace(site), name(site) + "-proxy-config"));
        }
        return bundles;
    }

    private static String hash(Secret bundle) {
        return bundle.getMetadata().getAnnotations().get("portico.dev/config-hash");
    }

    private static String namespace(String site) {
        return site.substring(0, site.indexOf('/'));
    }

    private static String name(String site) {
        return site.substring(site.indexOf('/') + 1);
    }

    private static String site(String namespace, String name, String tls) {
        return """
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: %s, namespace: %s}
                spec:
                  hosts: ["%s.example.com"]
                  replicas: 1
                %s  routes:
                    - match: {path: {value: /}}
                      backend: {service: app, port: 8080}
                """.formatted(name, namespace, name, tls);
    }
}
