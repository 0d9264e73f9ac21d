package dev.portico.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portico.crds.ProxySiteLoader;
import dev.portico.operator.PorticoOperator;
import dev.portico.operator.api.ProxySiteResource;
import dev.portico.operator.testbed.ClusterTest;
import dev.portico.operator.testbed.ShippedOperator;
import dev.portico.operator.testbed.Testbed;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two operator processes as the operator Deployment runs them, with the shipped Lease
 * settings, on the real API server: only the Lease holder reconciles; when it dies (no
 * graceful hand-over: its Lease stays until it expires) the other takes over within the
 * lease duration, and at no time do both reconcile.
 */
@ClusterTest
@Timeout(180)
class LeaderElectionClusterTest {

    private static final String NS = "leader";
    /** JOSDK's default lease duration (15 s), plus its retry period and a margin for a busy two-core machine. */
    private static final Duration TAKEOVER = Duration.ofSeconds(25);

    private Replica first;
    private Replica second;

    @AfterEach
    void stop() {
        for (Replica replica : new Replica[] {first, second}) {
            if (replica != null) {
                replica.operator.close();
            }
        }
    }

    @Test
    void onlyTheLeaderReconcilesAndTheOtherTakesOverWithinTheLease(Testbed testbed) {
        testbed.admin().namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata()
                .build()).serverSideApply();
        testbed.admin().services().inNamespace(NS).resource(new ServiceBuilder()
                .withNewMetadata().withName("app").endMetadata()
                .withNewSpec().addNewPort().withName("http").withPort(8000).endPort().endSpec()
                .build()).serverSideApply();
        first = new Replica(testbed, "replica-1");
        second = new Replica(testbed, "replica-2");

        Lease lease = await().atMost(TAKEOVER).until(() -> lease(testbed), l -> l != null
                && l.getSpec().getHolderIdentity() != null && !l.getSpec().getHolderIdentity().isEmpty());
        Replica leader = lease.getSpec().getHolderIdentity().equals(first.identity) ? first : second;
        Replica standby = leader == first ? second : first;

        create(testbed, "before");
        await().atMost(Duration.ofSeconds(30)).until(() -> leader.reconciled("before"));
        assertThat(standby.reconciles).as("the standby reconciles nothing").isEmpty();

        Instant killed = Instant.now();
        leader.operator.kill();
        int leaderCount = leader.reconciles.size();

        await().atMost(TAKEOVER).until(() -> standby.identity.equals(lease(testbed).getSpec().getHolderIdentity()));
        Instant tookOver = Instant.now();
        create(testbed, "after");
        await().atMost(Duration.ofSeconds(30)).until(() -> standby.reconciled("after"));
        await().atMost(Duration.ofSeconds(30)).until(() -> testbed.admin().apps().deployments().inNamespace(NS)
                .withName("after-proxy").get() != null);

        assertThat(Duration.between(killed, tookOver)).isLessThan(TAKEOVER);
        assertThat(leader.reconciles).as("the dead leader writes nothing more").hasSize(leaderCount);
        assertThat(standby.reconciles).as("no reconcile by the standby before it held the Lease")
                .allMatch(r -> !r.at().isBefore(killed));
        Deployment before = testbed.admin().apps().deployments().inNamespace(NS).withName("before-proxy").get();
        assertThat(before).isNotNull();
    }

    private static Lease lease(Testbed testbed) {
        return testbed.admin().leases().inNamespace(ShippedOperator.NAMESPACE).withName(PorticoOperator.LEASE_NAME).get();
    }

    private static void create(Testbed testbed, String name) {
        var site = ProxySiteLoader.parse(ClusterStandIn.site(NS, name));
        ProxySiteResource resource = new ProxySiteResource();
        resource.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NS).build());
        resource.setSpec(site.spec());
        testbed.admin().resources(ProxySiteResource.class).inNamespace(NS).resource(resource).create();
    }

    private record Reconcile(String site, Instant at) {}

    /** One operator process: its identity and what it reconciled, when. */
    private static final class Replica {
        final String identity;
        final List<Reconcile> reconciles = new CopyOnWriteArrayList<>();
        final ShippedOperator operator;

        Replica(Testbed testbed, String identity) {
            this.identity = identity;
            Metrics recording = new Metrics() {
                @Override
                public void finishedReconciliation(HasMetadata resource, Map<String, Object> metadata) {
                    reconciles.add(new Reconcile(resource.getMetadata().getName(), Instant.now()));
                }
            };
            this.operator = ShippedOperator.start(testbed, identity, recording, ShippedOperator.PROXY_IMAGE);
        }

        boolean reconciled(String site) {
            return reconciles.stream().anyMatch(r -> r.site().equals(site));
        }
    }
}
