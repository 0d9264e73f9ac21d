package dev.portico.operator;

import dev.portico.operator.reconciler.ProxySiteReconciler;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfigurationBuilder;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;

/**
 * Assembles the JOSDK {@link Operator} from an {@link OperatorConfig}: the one place where
 * server-side apply, leader election and the watched namespaces are decided, for
 * {@link OperatorMain} and for the tests alike.
 */
public final class PorticoOperator {

    static final String LEASE_NAME = "portico-operator-lease";

    private PorticoOperator() {}

    /**
     * @param exitOnStopLeading true in production (a replica that lost its lease must stop
     *     acting at once); false in tests, where System.exit would end the test JVM
     */
    public static Operator create(OperatorConfig config, KubernetesClient client, Metrics metrics, boolean exitOnStopLeading) {
        Operator operator = new Operator(o -> {
            o.withKubernetesClient(client)
                    .withMetrics(metrics)
                    // One switch for both halves: fabric8's mock server has no server-side apply.
                    .withUseSSAToPatchPrimaryResource(config.serverSideApply())
                    .withSSABasedCreateUpdateMatchForDependentResources(config.serverSideApply());
            if (config.leaderElection()) {
                var leaderElection = LeaderElectionConfigurationBuilder.aLeaderElectionConfiguration(LEASE_NAME)
                        .withExitOnStopLeading(exitOnStopLeading);
                if (config.namespace() != null) {
                    leaderElection.withLeaseNamespace(config.namespace());
                }
                o.withLeaderElectionConfiguration(leaderElection.build());
            }
        });
        operator.register(new ProxySiteReconciler(config.proxyImage()), c -> {
            if (!config.watchNamespaces().isEmpty()) {
                c.settingNamespaces(config.watchNamespaces());
            }
        });
        return operator;
    }
}
