package dev.portico.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.portico.operator.api.ProxySiteResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Deleting a ProxySite. In a cluster the garbage collector removes what the site owns; the mock
 * server has none, so this holds what the collector relies on (a controller ownerReference with
 * the site's uid on every owned object), plays the collector's part, and checks that the
 * operator then stays quiet: it recreates nothing, writes nothing and logs no error.
 */
@EnableKubernetesMockClient(crud = true)
class DeletionOperatorTest {

    private static final String NS = "aidoo";
    private static final List<Class<? extends HasMetadata>> OWNED_KINDS = List.of(
            Deployment.class, Service.class, ServiceAccount.class, PodDisruptionBudget.class, NetworkPolicy.class,
            Secret.class);

    KubernetesMockServer server;
    KubernetesClient client;

    private MockCluster cluster;
    private Operator operator;
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();

    @BeforeEach
    void startOperator() {
        log.start();
        root().addAppender(log);
        cluster = new MockCluster(server, client);
        operator = cluster.startOperator(Metrics.NOOP);
    }

    @AfterEach
    void stopOperator() {
        operator.stop();
        root().detachAppender(log);
    }

    @Test
    void deletingTheSiteLeavesItsObjectsToTheGarbageCollectorAndTheOperatorQuiet() throws InterruptedException {
        cluster.createService(NS, "vera-frontend", 3000);
        cluster.createTlsSecret(NS, "vera-tls", "FIRST");
        // Two replicas, so that a PodDisruptionBudget is among the owned objects.
        ProxySiteResource site = cluster.create(MockCluster.site("vera", NS,
                "  tls: {certificates: [{secretName: vera-tls}]}\n", """
                    - match: {path: {value: /}}
                      backend: {service: vera-frontend, port: 3000}
                """).replace("replicas: 1", "replicas: 2"));
        String uid = site.getMetadata().getUid();

        List<HasMetadata> owned = new ArrayList<>();
        owned.add(await().until(() -> cluster.get(Deployment.class, NS, "vera-proxy"), o -> o != null));
        owned.add(await().until(() -> cluster.get(Service.class, NS, "vera-proxy"), o -> o != null));
        owned.add(await().until(() -> cluster.get(ServiceAccount.class, NS, "vera-proxy"), o -> o != null));
        owned.add(await().until(() -> cluster.get(PodDisruptionBudget.class, NS, "vera-proxy"), o -> o != null));
        owned.add(await().until(() -> cluster.get(NetworkPolicy.class, NS, "vera-proxy"), o -> o != null));
        owned.add(await().until(() -> cluster.get(Secret.class, NS, "vera-proxy-config"), o -> o != null));
        owned.add(await().until(() -> cluster.get(Secret.class, NS, "vera-proxy-admin"), o -> o != null));
        for (HasMetadata object : owned) {
            assertThat(object.getMetadata().getOwnerReferences()).as(object.getKind()).singleElement().satisfies(owner -> {
                assertThat(owner.getUid()).isEqualTo(uid);
                assertThat(owner.getKind()).isEqualTo("ProxySite");
                assertThat(owner.getController()).isTrue();
                assertThat(owner.getBlockOwnerDeletion()).isTrue();
            });
        }
        await().until(() -> cluster.status(NS, "vera"), s -> MockCluster.condition(s, "Programmed").isPresent());

        client.resources(ProxySiteResource.class).inNamespace(NS).withName("vera").delete();
        await().until(() -> cluster.get(ProxySiteResource.class, NS, "vera") == null);
        // The garbage collector's part: delete what the site owned, by owner uid.
        for (Class<? extends HasMetadata> kind : OWNED_KINDS) {
            for (HasMetadata object : client.resources(kind).inNamespace(NS).list().getItems()) {
                if (object.getMetadata().getOwnerReferences().stream().anyMatch(o -> uid.equals(o.getUid()))) {
                    client.resource(object).delete();
                }
            }
        }
        cluster.drainRequests();

        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            for (HasMetadata object : owned) {
                assertThat(cluster.get(object.getClass(), NS, object.getMetadata().getName()))
                        .as("%s %s recreated", object.getKind(), object.getMetadata().getName()).isNull();
            }
        });
        assertThat(MockCluster.writes(cluster.drainRequests())).as("the operator's writes after the deletion").isEmpty();
        assertThat(log.list).as("errors logged, or refusals reported")
                .noneMatch(e -> e.getLevel().isGreaterOrEqual(Level.ERROR)
                        || e.getLevel() == Level.WARN && e.getLoggerName().startsWith("dev.portico"));
    }

    private static Logger root() {
        return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    }
}
