package dev.portico.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code java -jar operator.jar}: finds the cluster the standard way (in-cluster service
 * account, else KUBECONFIG, else ~/.kube/config), reads its settings from the environment
 * and runs until SIGTERM, then stops the controllers and the health server.
 */
public final class OperatorMain {

    private static final Logger LOG = LoggerFactory.getLogger(OperatorMain.class);

    private OperatorMain() {}

    public static void main(String[] args) throws Exception {
        OperatorConfig config;
        try {
            config = OperatorConfig.fromEnvironment(System.getenv());
        } catch (IllegalArgumentException e) {
            LOG.error("Invalid configuration: {}", e.getMessage());
            System.exit(2);
            return;
        }
        LOG.info("Starting the Portico operator: image={} namespaces={} serverSideApply={} leaderElection={} healthPort={}",
                config.proxyImage(), config.watchNamespaces().isEmpty() ? "all" : config.watchNamespaces(),
                config.serverSideApply(), config.leaderElection(), config.healthPort());

        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);

        KubernetesClient client = new KubernetesClientBuilder().build();
        // Without per-resource meters: their number would grow with the number of sites.
        Operator operator = PorticoOperator.create(config, client,
                MicrometerMetrics.withoutPerResourceMetrics(registry), registry, true);
        HealthServer health = HealthServer.start(config.healthPort(), operator::getRuntimeInfo, registry);

        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            LOG.info("Stopping the Portico operator");
            try {
                operator.stop();
            } finally {
                health.close();
            }
        }, "shutdown"));
        LOG.info("Health, readiness and metrics on port {}", health.port());
        try {
            operator.start();
        } catch (RuntimeException e) {
            LOG.error("The operator could not start", e);
            System.exit(1);
        }
        LOG.info("The Portico operator is running");
    }
}
