package dev.portico.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReviewBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two operator replicas with leader election, as the operator Deployment runs them: only the
 * holder of the Lease reconciles; the standby keeps its caches warm and reports ready (so a
 * rolling update of the operator is not held up by it), and takes over when the leader stops.
 */
@EnableKubernetesMockClient(crud = true)
class LeaderElectionTest {

    private static final String NS = "aidoo";
    private static final String OPERATOR_NS = "portico-system";
    /** Two operators on a shared two-core machine take their time to start and to hand over. */
    private static final Duration PATIENCE = Duration.ofSeconds(30);

    KubernetesMockServer server;
    KubernetesClient client;

    private MockCluster cluster;
    private final Replica first = new Replica("replica-1");
    private final Replica second = new Replica("replica-2");

    @BeforeEach
    void startBothReplicas() {
        cluster = new MockCluster(server, client);
        // JOSDK checks at start-up that it may use Leases; the CRUD mock would answer without a status.
        server.expect().post().withPath("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews")
                .andReturn(201, leaseRules()).always();
        cluster.createService(NS, "vera-frontend", 3000);
        first.start();
        second.start();
    }

    @AfterEach
    void stopBothReplicas() {
        first.stop();
        second.stop();
    }

    @Test
    void onlyTheLeaderReconcilesAndTheStandbyTakesOverWhenItStops() throws Exception {
        Lease lease = await().atMost(PATIENCE).until(this::lease, l -> l != null && l.getSpec().getHolderIdentity() != null
                && !l.getSpec().getHolderIdentity().isEmpty());
        Replica leader = lease.getSpec().getHolderIdentity().equals(first.identity) ? first : second;
        Replica standby = leader == first ? second : first;

        cluster.create(site("vera"));
        await().atMost(PATIENCE).until(() -> cluster.get(Deployment.class, NS, "vera-proxy"), d -> d != null);
        await().atMost(PATIENCE).until(() -> leader.reconciled.contains("vera"));
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5))
                .until(() -> standby.reconciled.isEmpty());
        assertThat(standby.get("/readyz").statusCode()).as("a standby is ready").isEqualTo(200);
        assertThat(standby.get("/healthz").statusCode()).as("a standby is healthy").isEqualTo(200);
        assertThat(leader.get("/readyz").statusCode()).isEqualTo(200);

        leader.stop();

        await().atMost(PATIENCE).until(
                () -> standby.identity.equals(lease().getSpec().getHolderIdentity()));
        cluster.create(site("nora"));
        await().atMost(PATIENCE).until(() -> cluster.get(Deployment.class, NS, "nora-proxy"), d -> d != null);
        // Counted when the reconcile returns, which is after it created the Deployment.
        await().atMost(PATIENCE).until(() -> standby.reconciled.contains("nora"));
        assertThat(leader.reconciled).doesNotContain("nora");
    }

    private Lease lease() {
        return client.leases().inNamespace(OPERATOR_NS).withName(PorticoOperator.LEASE_NAME).get();
    }

    private static String site(String name) {
        return MockCluster.site(name, NS, "", """
                    - match: {path: {value: /}}
                      backend: {service: vera-frontend, port: 3000}
                """);
    }

    private static SelfSubjectRulesReview leaseRules() {
        return new SelfSubjectRulesReviewBuilder()
                .withNewStatus()
                    .addNewResourceRule()
                        .withApiGroups("coordination.k8s.io")
                        .withResources("leases")
                        .withVerbs("get", "create", "update")
                    .endResourceRule()
                    .withIncomplete(false)
                .endStatus()
                .build();
    }

    /** One operator replica: its own client (stopping the operator closes it), identity and health port. */
    private final class Replica {
        final String identity;
        final List<String> reconciled = new CopyOnWriteArrayList<>();
        private Operator operator;
        private HealthServer health;
        private boolean stopped;

        Replica(String identity) {
            this.identity = identity;
        }

        void start() {
            Metrics recording = new Metrics() {
                @Override
                public void finishedReconciliation(HasMetadata resource, Map<String, Object> metadata) {
                    reconciled.add(resource.getMetadata().getName());
                }
            };
            OperatorConfig config = new OperatorConfig(MockCluster.IMAGE, Set.of(), false, true, OPERATOR_NS, 0);
            // Short leases so the test does not wait out the defaults (15s); exit off, or stop() would end the JVM.
            operator = PorticoOperator.create(config, server.createClient(), recording, leaderElection -> leaderElection
                    .withIdentity(identity)
                    .withLeaseDuration(Duration.ofSeconds(4))
                    .withRenewDeadline(Duration.ofSeconds(3))
                    .withRetryPeriod(Duration.ofMillis(500))
                    .withExitOnStopLeading(false));
            try {
                health = HealthServer.start(0, operator::getRuntimeInfo, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            operator.start();
        }

        HttpResponse<String> get(String path) throws Exception {
            return HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + health.port() + path)).build(),
                    HttpResponse.BodyHandlers.ofString());
        }

        void stop() {
            if (stopped) {
                return;
            }
            stopped = true;
            try {
                operator.stop();
            } finally {
                health.close();
            }
        }
    }
}
