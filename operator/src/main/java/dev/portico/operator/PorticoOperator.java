package dev.portico.operator;

import dev.portico.operator.acme.AcmeCertificates;
import dev.portico.operator.acme.AcmeTrust;
import dev.portico.operator.pki.AdminCaStore;
import dev.portico.operator.push.AdminClient;
import dev.portico.operator.push.ConfigPusher;
import dev.portico.operator.push.PushMetrics;
import dev.portico.operator.reconciler.InformerStores;
import dev.portico.operator.reconciler.ProxySiteReconciler;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfigurationBuilder;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.function.Consumer;

/**
 * Assembles the JOSDK {@link Operator} from an {@link OperatorConfig}: the one place where
 * server-side apply, leader election and the watched namespaces are decided, for
 * {@link OperatorMain} and for the tests alike.
 */
public final class PorticoOperator {

    public static final String LEASE_NAME = "portico-operator-lease";

    private PorticoOperator() {}

    /**
     * Pushes run on a few daemon threads of their own: HTTP to the pods is asynchronous, and a
     * pod that does not answer must never hold a reconcile thread.
     */
    private static ConfigPusher pusher(AdminCaStore adminCa, Consumer<ResourceID> wake, PushMetrics metrics) {
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(daemon("portico-push-retry"));
        AdminClient client = new AdminClient(Executors.newFixedThreadPool(2, daemon("portico-push")), adminCa::trusted);
        return new ConfigPusher(client, scheduler, wake, System::nanoTime, metrics);
    }

    private static ThreadFactory daemon(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }

    /**
     * @param exitOnStopLeading true in production (a replica that lost its lease must stop
     *     acting at once); false in tests, where System.exit would end the test JVM
     */
    public static Operator create(OperatorConfig config, KubernetesClient client, Metrics metrics, boolean exitOnStopLeading) {
        return create(config, client, metrics, new SimpleMeterRegistry(), exitOnStopLeading);
    }

    /**
     * @param registry where the operator's own meters go (config pushes), beside JOSDK's {@code metrics}:
     *     the registry {@code /metrics} scrapes
     */
    public static Operator create(OperatorConfig config, KubernetesClient client, Metrics metrics,
            MeterRegistry registry, boolean exitOnStopLeading) {
        return create(config, client, metrics, registry,
                leaderElection -> leaderElection.withExitOnStopLeading(exitOnStopLeading));
    }

    /**
     * @param leaderElectionTuning applied last to the leader-election settings: tests give each
     *     instance its own identity (in a pod, JOSDK takes the pod's HOSTNAME) and short leases
     */
    public static Operator create(OperatorConfig config, KubernetesClient client, Metrics metrics,
            Consumer<LeaderElectionConfigurationBuilder> leaderElectionTuning) {
        return create(config, client, metrics, new SimpleMeterRegistry(), leaderElectionTuning);
    }

    private static Operator create(OperatorConfig config, KubernetesClient client, Metrics metrics,
            MeterRegistry registry, Consumer<LeaderElectionConfigurationBuilder> leaderElectionTuning) {
        Operator operator = new Operator(o -> {
            o.withKubernetesClient(client)
                    .withMetrics(metrics)
                    // One switch for both halves: fabric8's mock server has no server-side apply.
                    .withUseSSAToPatchPrimaryResource(config.serverSideApply())
                    .withSSABasedCreateUpdateMatchForDependentResources(config.serverSideApply());
            if (config.leaderElection()) {
                var leaderElection = LeaderElectionConfigurationBuilder.aLeaderElectionConfiguration(LEASE_NAME);
                if (config.namespace() != null) {
                    leaderElection.withLeaseNamespace(config.namespace());
                }
                leaderElectionTuning.accept(leaderElection);
                o.withLeaderElectionConfiguration(leaderElection.build());
            }
        });
        // The admin CA lives beside the operator: PORTICO_NAMESPACE, else the client's namespace (in a pod, its own).
        String caNamespace = config.namespace() != null ? config.namespace()
                : client.getNamespace() != null ? client.getNamespace() : "default";
        AdminCaStore adminCa = new AdminCaStore(client, caNamespace, config.adminLifetimes(), Clock.systemUTC());
        PushMetrics pushMetrics = new PushMetrics(registry);
        // Checked here, at start: a wrong PORTICO_ACME_CA_FILE stops the operator rather than every order.
        AcmeTrust acmeTrust = AcmeTrust.of(config.acmeCaFile());
        operator.register(new ProxySiteReconciler(config, adminCa, wake -> pusher(adminCa, wake, pushMetrics),
                wake -> new AcmeCertificates(client, acmeTrust, wake, Clock.systemUTC())), c -> {
            if (!config.watchNamespaces().isEmpty()) {
                c.settingNamespaces(config.watchNamespaces());
            } else {
                c.withItemStore(InformerStores.sites()); // safe with one informer only (InformerStores)
            }
        });
        return operator;
    }
}
