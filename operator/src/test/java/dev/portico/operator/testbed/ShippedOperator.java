package dev.portico.operator.testbed;

import dev.portico.operator.OperatorConfig;
import dev.portico.operator.PorticoOperator;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import java.util.Set;

/**
 * The operator as {@code deploy/} installs it: authenticated as ServiceAccount
 * {@code portico-system/portico-operator} (so the shipped RBAC is all it has), server-side
 * apply on, leader election on with the Lease in portico-system, every namespace watched.
 * Only the process is ours: it runs in the test JVM instead of the operator's pod.
 */
public final class ShippedOperator implements AutoCloseable {

    public static final String NAMESPACE = "portico-system";
    public static final String SERVICE_ACCOUNT = "portico-operator";
    public static final String PROXY_IMAGE = OperatorConfig.DEFAULT_PROXY_IMAGE;

    private final Testbed testbed;
    private final Operator operator;
    private final String leaseNamespace;
    private final RequestCounter requests;
    private boolean stopped;

    private ShippedOperator(Testbed testbed, Operator operator, String leaseNamespace, RequestCounter requests) {
        this.testbed = testbed;
        this.operator = operator;
        this.leaseNamespace = leaseNamespace;
        this.requests = requests;
    }

    public static ShippedOperator start(Testbed testbed) {
        return start(testbed, null, new Metrics() {}, PROXY_IMAGE);
    }

    /**
     * @param identity the leader-election identity; null: JOSDK's default (a pod's HOSTNAME, else a random id)
     * @param proxyImage what deploy/ sets as PORTICO_PROXY_IMAGE, or another (an upgrade)
     */
    public static ShippedOperator start(Testbed testbed, String identity, Metrics metrics, String proxyImage) {
        return start(testbed, identity, metrics, proxyImage, java.util.Map.of());
    }

    /** @param environment more of the operator's settings, e.g. short admin certificate lifetimes */
    public static ShippedOperator start(Testbed testbed, String identity, Metrics metrics, String proxyImage,
            java.util.Map<String, String> environment) {
        Install.ensure(testbed);
        RequestCounter requests = new RequestCounter();
        KubernetesClient client = testbed.serviceAccountClient(NAMESPACE, SERVICE_ACCOUNT, requests);
        java.util.Map<String, String> env = new java.util.HashMap<>(environment);
        env.put("PORTICO_PROXY_IMAGE", proxyImage);
        env.put("PORTICO_NAMESPACE", NAMESPACE);
        OperatorConfig config = OperatorConfig.fromEnvironment(env);
        if (!config.serverSideApply() || !config.leaderElection() || !config.watchNamespaces().equals(Set.of())) {
            throw new IllegalStateException("the shipped defaults changed: " + config);
        }
        return start(testbed, client, requests, config, identity, metrics);
    }

    /**
     * The operator as deploy/namespaced/ installs it in {@code namespace} (which that overlay
     * must name): its account there, the Role's rights only, serving that namespace only.
     */
    /**
     * @param shippedEnvironment the plain values of the shipped Deployment's env (deploy/namespaced/),
     *     so that the operator runs with the settings that install gives it
     */
    public static ShippedOperator startNamespaced(Testbed testbed, String namespace,
            java.util.Map<String, String> shippedEnvironment) {
        RequestCounter requests = new RequestCounter();
        KubernetesClient client = testbed.serviceAccountClient(namespace, SERVICE_ACCOUNT, requests);
        java.util.Map<String, String> env = new java.util.HashMap<>(shippedEnvironment);
        // The image of this build and the namespace the pod would learn from the downward API.
        env.put("PORTICO_PROXY_IMAGE", PROXY_IMAGE);
        env.put("PORTICO_NAMESPACE", namespace);
        return start(testbed, client, requests, OperatorConfig.fromEnvironment(env), null, new Metrics() {});
    }

    private static ShippedOperator start(Testbed testbed, KubernetesClient client, RequestCounter requests,
            OperatorConfig config, String identity, Metrics metrics) {
        Operator operator = PorticoOperator.create(config, client, metrics, leaderElection -> {
            leaderElection.withExitOnStopLeading(false); // System.exit would end the test JVM
            if (identity != null) {
                leaderElection.withIdentity(identity);
            }
        });
        operator.start();
        return new ShippedOperator(testbed, operator, config.namespace(), requests);
    }

    public Operator operator() {
        return operator;
    }

    /** What the operator has sent the API server so far. */
    public RequestCounter requests() {
        return requests;
    }

    /** Stops the operator as a crash would: the Lease stays held until it expires. */
    public void kill() {
        if (!stopped) {
            stopped = true;
            operator.stop();
        }
    }

    /**
     * Stops the operator and hands its Lease back, as a pod's graceful stop lets the next
     * leader start at once (JOSDK does not release the Lease on stop; the next test's operator
     * would otherwise wait the lease duration out).
     */
    @Override
    public void close() {
        kill();
        testbed.admin().leases().inNamespace(leaseNamespace).withName(PorticoOperator.LEASE_NAME).delete();
    }
}
