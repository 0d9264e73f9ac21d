package dev.portico.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portico.crds.ProxySiteLoader;
import dev.portico.operator.api.ProxySiteResource;
import dev.portico.operator.testbed.ClusterTest;
import dev.portico.operator.testbed.StandInPods;
import dev.portico.operator.testbed.Testbed;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Deleting a ProxySite, and a namespace with sites in it, on the real API server: the
 * garbage collector removes everything the site owned (down to the ReplicaSets and Pods the
 * controllers made), and the namespace's deletion finishes.
 */
@ClusterTest
@Timeout(240)
class DeletionClusterTest {

    private static final List<Class<? extends HasMetadata>> KINDS = List.of(Deployment.class, ReplicaSet.class,
            Pod.class, Service.class, ServiceAccount.class, Secret.class, NetworkPolicy.class, PodDisruptionBudget.class);

    @TempDir
    Path root;

    @Test
    void deletingASiteLeavesNothingBehind(Testbed testbed) throws Exception {
        String ns = "deletion";
        try (StandInPods standIns = new StandInPods();
             ClusterStandIn cluster = new ClusterStandIn(testbed, root, pod -> true, standIns)) {
            cluster.apply(ProxySiteLoader.parse(ClusterStandIn.site(ns, "gone")));
            cluster.apply(ProxySiteLoader.parse(ClusterStandIn.site(ns, "kept")));
            cluster.awaitPods(ns, "gone", 2);
            cluster.awaitProgrammed(ns, "gone");
            cluster.awaitProgrammed(ns, "kept");
            assertThat(ownedBy(testbed, ns, "gone")).hasSizeGreaterThanOrEqualTo(KINDS.size());

            testbed.admin().resources(ProxySiteResource.class).inNamespace(ns).withName("gone").delete();

            await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> assertThat(ownedBy(testbed, ns, "gone")).isEmpty());
            assertThat(testbed.admin().resources(ProxySiteResource.class).inNamespace(ns).withName("gone").get()).isNull();
            assertThat(ownedBy(testbed, ns, "kept")).as("the other site keeps its objects")
                    .hasSizeGreaterThanOrEqualTo(KINDS.size());
            assertThat(cluster.programmed(ns, "kept")).isTrue();
        }
    }

    @Test
    void deletingANamespaceWithSitesInItFinishes(Testbed testbed) throws Exception {
        String ns = "doomed";
        try (StandInPods standIns = new StandInPods();
             ClusterStandIn cluster = new ClusterStandIn(testbed, root, pod -> true, standIns)) {
            cluster.apply(ProxySiteLoader.parse(ClusterStandIn.site(ns, "one")));
            cluster.apply(ProxySiteLoader.parse(ClusterStandIn.site(ns, "two")));
            cluster.awaitProgrammed(ns, "one");
            cluster.awaitProgrammed(ns, "two");

            testbed.admin().namespaces().withName(ns).delete();

            await().atMost(Duration.ofSeconds(120)).until(() -> testbed.admin().namespaces().withName(ns).get() == null);
        }
    }

    /** The objects in {@code ns} labelled as belonging to {@code site}'s proxy, as kind/name. */
    private static List<String> ownedBy(Testbed testbed, String ns, String site) {
        List<String> found = new ArrayList<>();
        for (Class<? extends HasMetadata> kind : KINDS) {
            for (HasMetadata object : testbed.admin().resources(kind).inNamespace(ns)
                    .withLabel("app.kubernetes.io/instance", site).list().getItems()) {
                found.add(kind.getSimpleName() + "/" + object.getMetadata().getName());
            }
        }
        return found;
    }
}
