package dev.portico.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portico.crds.ProxySiteLoader;
import dev.portico.operator.api.ProxySiteResource;
import dev.portico.operator.testbed.ClusterTest;
import dev.portico.operator.testbed.StandInPods;
import dev.portico.operator.testbed.Testbed;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fifty converged sites on the real API server, with server-side apply as shipped: for 30
 * seconds no object the operator writes changes its resourceVersion. A reconcile that
 * re-applies what is there already, a status rewritten with a new timestamp, or managed
 * fields fought over by two field managers would all show here as churn.
 */
@ClusterTest
@Timeout(300)
class SteadyStateClusterTest {

    private static final String NS = "steady";
    private static final int SITES = 50;
    private static final List<Class<? extends HasMetadata>> KINDS = List.of(ProxySiteResource.class, Deployment.class,
            Service.class, ServiceAccount.class, Secret.class, NetworkPolicy.class, PodDisruptionBudget.class);

    @TempDir
    Path root;

    @Test
    void fiftyConvergedSitesWriteNothingFor30Seconds(Testbed testbed) throws Exception {
        try (StandInPods standIns = new StandInPods();
             ClusterStandIn cluster = new ClusterStandIn(testbed, root, pod -> true, standIns)) {
            for (int i = 0; i < SITES; i++) {
                cluster.apply(ProxySiteLoader.parse(ClusterStandIn.site(NS, "site-" + i)));
            }
            for (int i = 0; i < SITES; i++) {
                String name = "site-" + i;
                await().atMost(Duration.ofMinutes(3)).until(() -> cluster.programmed(NS, name) && ready(cluster, name));
            }
            Map<String, String> before = versions(testbed);
            assertThat(before.keySet().stream().filter(k -> k.startsWith("PodDisruptionBudget/"))).hasSize(SITES);
            long writesBefore = cluster.operatorRequests().writes(NS);

            Thread.sleep(Duration.ofSeconds(30).toMillis());

            assertThat(versions(testbed)).as("resourceVersions after 30 s").isEqualTo(before);
            // Also no apply that changes nothing: the matcher agrees with what the caches keep.
            assertThat(cluster.operatorRequests().writes(NS)).as("the operator's write requests in 30 s")
                    .isEqualTo(writesBefore);
        }
    }

    private static boolean ready(ClusterStandIn cluster, String name) {
        var status = cluster.status(NS, name);
        return status.conditions().stream().anyMatch(c -> c.type().equals("Ready") && c.status().equals("True"));
    }

    /** Kind/name to resourceVersion of every object of the watched kinds in the namespace. */
    private static Map<String, String> versions(Testbed testbed) {
        Map<String, String> versions = new TreeMap<>();
        for (Class<? extends HasMetadata> kind : KINDS) {
            for (HasMetadata object : testbed.admin().resources(kind).inNamespace(NS).list().getItems()) {
                versions.put(kind.getSimpleName() + "/" + object.getMetadata().getName(),
                        object.getMetadata().getResourceVersion());
            }
        }
        return versions;
    }
}
