package dev.portico.operator.e2e;

import static org.awaitility.Awaitility.await;

import dev.portico.crds.ProxySiteLoader;
import dev.portico.crds.v1alpha1.ProxySite;
import dev.portico.crds.v1alpha1.ProxySiteStatus;
import dev.portico.crds.v1alpha1.Route;
import dev.portico.operator.api.ProxySiteResource;
import dev.portico.operator.testbed.RequestCounter;
import dev.portico.operator.testbed.ShippedOperator;
import dev.portico.operator.testbed.StandInPods;
import dev.portico.operator.testbed.Testbed;
import dev.portico.operator.testbed.TestbedKubelet;
import dev.portico.runtime.testing.ServiceDirectory;
import dev.portico.runtime.tls.TestCertificates;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * A cluster for end-to-end tests: the operator as shipped against the real control plane
 * ({@link Testbed}), the testbed's kubelet running the Pods that the real ReplicaSet
 * controller creates as in-process runtimes, a Service directory where the app's Services
 * lead to test backends (there is no cluster DNS), and a CA that issues the sites' certificates.
 */
final class ClusterStandIn implements AutoCloseable {

    static final Path EXAMPLES = Path.of(System.getProperty("basedir", ".")).resolve("../deploy/examples").normalize();
    static final Duration CONVERGE = Duration.ofSeconds(30);
    /** namespace/service to the address of its one endpoint; per JVM, which has a control plane of its own. */
    private static final Map<String, String> ENDPOINT_ADDRESSES = new java.util.concurrent.ConcurrentHashMap<>();
    private static final java.util.concurrent.atomic.AtomicInteger NEXT_ENDPOINT = new java.util.concurrent.atomic.AtomicInteger();

    final KubernetesClient client;
    final ServiceDirectory services = new ServiceDirectory();
    final TestCertificates.Ca ca = TestCertificates.newCa("Portico e2e CA");
    private final Testbed testbed;
    private ShippedOperator operator;
    private final TestbedKubelet kubelet;
    private final Set<String> namespaces = new TreeSet<>();

    ClusterStandIn(Testbed testbed, Path root) {
        this(testbed, root, pod -> false, null);
    }

    /** @param light the pods the kubelet runs as stand-in admin ports only (see {@link TestbedKubelet}) */
    ClusterStandIn(Testbed testbed, Path root, Predicate<Pod> light, StandInPods standIns) {
        this(testbed, root, light, standIns, new Metrics() {});
    }

    /** The ProxySites of a file in deploy/examples/, applied as a user's kubectl apply would. */
    List<ProxySiteResource> applyExample(String file) {
        try {
            String yaml = Files.readString(EXAMPLES.resolve(file), StandardCharsets.UTF_8);
            return ProxySiteLoader.parseAll(yaml).stream().map(r -> apply(r.site())).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    ProxySiteResource apply(ProxySite site) {
        namespace(site.metadata().namespace());
        createBackendServices(site);
        ProxySiteResource resource = new ProxySiteResource();
        resource.setMetadata(new ObjectMetaBuilder().withName(site.metadata().name())
                .withNamespace(site.metadata().namespace()).build());
        resource.setSpec(site.spec());
        return client.resources(ProxySiteResource.class).inNamespace(site.metadata().namespace()).resource(resource).create();
    }

    /**
     * The app's Services, as the guide's cluster has them: the operator programs no site whose
     * backend Service is missing or lacks the route's port (docs/operator.md). The proxy pods'
     * traffic reaches the test backends through the Service directory, not through these.
     */
    private void createBackendServices(ProxySite site) {
        Map<String, Set<Integer>> ports = new TreeMap<>();
        for (Route route : Optional.ofNullable(site.spec().routes()).orElse(List.of())) {
            String name = route.backend() == null ? null : route.backend().service();
            if (name != null && name.matches("[a-z]([-a-z0-9]*[a-z0-9])?") && !name.equals("localhost")) {
                ports.computeIfAbsent(name, n -> new TreeSet<>()).add(route.backend().port());
            }
        }
        String namespace = site.metadata().namespace();
        ports.forEach((name, wanted) -> {
            Service existing = client.services().inNamespace(namespace).withName(name).get();
            Set<Integer> all = new TreeSet<>(wanted);
            if (existing != null) {
                existing.getSpec().getPorts().forEach(p -> all.add(p.getPort()));
                if (all.size() == existing.getSpec().getPorts().size()) {
                    // Unchanged: an update would reconcile every site already routing to it.
                    endpointOf(namespace, name, all, false);
                    return;
                }
            }
            ServiceBuilder service = new ServiceBuilder()
                    .withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
                    .withNewSpec().withType("ClusterIP").endSpec();
            all.forEach(port -> service.editSpec().addNewPort().withName("port-" + port).withPort(port).endPort().endSpec());
            client.services().inNamespace(namespace).resource(service.build()).createOr(s -> s.update());
            endpointOf(namespace, name, all, true);
        });
    }

    /**
     * The Service's one endpoint, as an EndpointSlice written for a Service without selector:
     * an address of its own in 10.245.0.0/16 that the Service directory leads to wherever the
     * test put {@code name:port}. So a proxy reaches the test backend whether it resolves the
     * Service's name or connects to the endpoint the operator pushed (docs/operator.md,
     * "Backend endpoints"); without it the Service would have no endpoint and its routes 503.
     */
    private void endpointOf(String namespace, String name, Set<Integer> ports, boolean write) {
        String address = endpointAddress(namespace, name);
        EndpointSliceBuilder slice = new EndpointSliceBuilder()
                .withNewMetadata()
                    .withName(name + "-testbed").withNamespace(namespace)
                    .addToLabels("kubernetes.io/service-name", name)
                    .addToLabels("endpointslice.kubernetes.io/managed-by", "portico-testbed")
                .endMetadata()
                .withAddressType("IPv4")
                .addNewEndpoint().withAddresses(address).withNewConditions().withReady(true).endConditions().endEndpoint();
        for (int port : ports) {
            slice.addNewPort().withName("port-" + port).withPort(port).withProtocol("TCP").endPort();
            services.alias(address, port, name, port);
        }
        if (write) {
            client.resource(slice.build()).createOr(s -> s.update());
        }
    }

    /**
     * The endpoint the one pod of an app's Deployment would have, for a Service the test created with a
     * selector (as {@code kubectl expose} or {@code kubectl create service} do) but whose pods it does not
     * run: an EndpointSlice beside the controller's (empty) one, as a pod at a 10.245.0.0/16 address
     * listening on {@code targetPort}, which the Service directory leads to wherever the test put
     * {@code service:servicePort}.
     */
    void podEndpoint(String namespace, String service, String portName, int servicePort, int targetPort) {
        String address = endpointAddress(namespace, service);
        services.alias(address, targetPort, service, servicePort);
        client.resource(new EndpointSliceBuilder()
                .withNewMetadata()
                    .withName(service + "-testbed-pod").withNamespace(namespace)
                    .addToLabels("kubernetes.io/service-name", service)
                    .addToLabels("endpointslice.kubernetes.io/managed-by", "portico-testbed")
                .endMetadata()
                .withAddressType("IPv4")
                .addNewEndpoint().withAddresses(address).withNewConditions().withReady(true).endConditions().endEndpoint()
                .addNewPort().withName(portName).withPort(targetPort).withProtocol("TCP").endPort()
                .build()).createOr(s -> s.update());
    }

    /** The 10.245.0.0/16 address of a test Service's one endpoint, the same for as long as the run lasts. */
    private static String endpointAddress(String namespace, String service) {
        return ENDPOINT_ADDRESSES.computeIfAbsent(namespace + "/" + service, key -> {
            int n = NEXT_ENDPOINT.getAndIncrement();
            return "10.245." + (n / 250) + "." + (n % 250 + 1);
        });
    }

    /** What the operator running now has sent the API server. */
    RequestCounter operatorRequests() {
        return operator.requests();
    }

    /** Stops the operator and starts it again with another proxy image, as an upgrade of the operator does. */
    void restartOperator(String proxyImage) {
        operator.close();
        operator = ShippedOperator.start(testbed, null, new io.javaoperatorsdk.operator.api.monitoring.Metrics() {},
                proxyImage);
    }

    /** The operator running now (to kill it, as a crashed leader). */
    ShippedOperator operator() {
        return operator;
    }

    /** Stops the operator and starts it again with more settings in its environment. */
    void restartOperator(Map<String, String> environment) {
        operator.close();
        operator = ShippedOperator.start(testbed, null, new io.javaoperatorsdk.operator.api.monitoring.Metrics() {},
                ShippedOperator.PROXY_IMAGE, environment);
    }

    /** A site of one host, NAME.example.com, with two replicas and one route to Service app:8000. */
    static String site(String namespace, String name) {
        return """
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: %s, namespace: %s}
                spec:
                  hosts: ["%s.example.com"]
                  replicas: 2
                  routes:
                    - match: {path: {value: /}}
                      backend: {service: app, port: 8000}
                """.formatted(name, namespace, name);
    }

    /** Creates the namespace unless it exists; it is deleted on close. */
    void namespace(String name) {
        if (namespaces.add(name)) {
            client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
                    .serverSideApply();
        }
    }

    /** Edits a site's spec as YAML text, the way a user edits the file and applies it; retried on 409 like kubectl. */
    void edit(String namespace, String name, UnaryOperator<String> change) {
        for (int attempt = 1; ; attempt++) {
            try {
                ProxySiteResource current = client.resources(ProxySiteResource.class).inNamespace(namespace).withName(name).require();
                String yaml = ProxySiteLoader.toYaml(new ProxySite(ProxySite.API_VERSION, ProxySite.KIND,
                        new ProxySite.Metadata(name, namespace, null), current.getSpec()));
                current.setSpec(ProxySiteLoader.parse(change.apply(yaml)).spec());
                client.resources(ProxySiteResource.class).inNamespace(namespace).resource(current).update();
                return;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409 || attempt == 5) {
                    throw e;
                }
            }
        }
    }

    /** A kubernetes.io/tls Secret issued by the test CA for {@code hosts}; replaces one of that name (a renewal). */
    TestCertificates.Issued tlsSecret(String namespace, String name, String... hosts) {
        namespace(namespace);
        TestCertificates.Issued issued = ca.issue(TestCertificates.leaf(hosts[0]).sans(hosts));
        var secret = new SecretBuilder()
                .withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
                .withType("kubernetes.io/tls")
                .withData(Map.of(
                        "tls.crt", base64(TestCertificates.certificatePem(issued.chain())),
                        "tls.key", base64(TestCertificates.keyPem(issued.key(), TestCertificates.KeyFormat.PKCS8))))
                .build();
        client.secrets().inNamespace(namespace).resource(secret).createOr(s -> s.update());
        return issued;
    }

    /**
     * The site's proxy pods, once the real controllers made {@code count} of them from the
     * operator's Deployment and the kubelet runs them, ready.
     */
    List<TestbedKubelet.RunningPod> awaitPods(String namespace, String site, int count) {
        return await().atMost(CONVERGE).until(() -> kubelet.podsOf(namespace, site),
                pods -> pods.size() == count && pods.stream().allMatch(TestbedKubelet.RunningPod::ready));
    }

    /** Waits until every ready pod serves the site's current bundle, and returns that status. */
    ProxySiteStatus awaitProgrammed(String namespace, String site) {
        await().atMost(CONVERGE).until(() -> programmed(namespace, site));
        return status(namespace, site);
    }

    /** Whether every ready pod serves the site's current bundle now. */
    boolean programmed(String namespace, String site) {
        ProxySiteStatus s = status(namespace, site);
        return s != null && s.conditions() != null
                && s.conditions().stream().anyMatch(c -> c.type().equals("Programmed") && c.status().equals("True"))
                && bundleHash(namespace, site).equals(s.configHash());
    }

    /** The condition of that type, or an Unknown one while there is none. */
    static ProxySiteStatus.Condition condition(ProxySiteStatus status, String type) {
        return Optional.ofNullable(status).map(ProxySiteStatus::conditions).orElse(List.of()).stream()
                .filter(c -> c.type().equals(type)).findFirst()
                .orElse(new ProxySiteStatus.Condition(type, "Unknown", "", "", null, null));
    }

    ProxySiteStatus status(String namespace, String site) {
        return Optional.ofNullable(client.resources(ProxySiteResource.class).inNamespace(namespace).withName(site).get())
                .map(ProxySiteResource::getStatus).orElse(null);
    }

    String bundleHash(String namespace, String site) {
        var bundle = client.secrets().inNamespace(namespace).withName(site + "-proxy-config").get();
        return bundle == null ? "" : bundle.getMetadata().getAnnotations().get("portico.dev/config-hash");
    }

    TestbedKubelet kubelet() {
        return kubelet;
    }

    static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Deletes the namespaces this cluster made, then stops the operator and the pods. */
    @Override
    public void close() {
        try {
            namespaces.forEach(name -> client.namespaces().withName(name).delete());
            operator.close();
        } finally {
            kubelet.close();
        }
    }

    // Helpers of the tests that moved here from fabric8's mock server.

    /** @param metrics what the operator reports its reconciles to */
    ClusterStandIn(Testbed testbed, Path root, Predicate<Pod> light, StandInPods standIns, Metrics metrics) {
        this.testbed = testbed;
        this.client = testbed.admin();
        this.kubelet = new TestbedKubelet(client, root, services, light, standIns);
        this.operator = ShippedOperator.start(testbed, null, metrics, ShippedOperator.PROXY_IMAGE);
    }

    /** The site alone: unlike {@link #apply}, no backend Service is made for it. */
    ProxySiteResource create(ProxySite site) {
        namespace(site.metadata().namespace());
        ProxySiteResource resource = new ProxySiteResource();
        resource.setMetadata(new ObjectMetaBuilder().withName(site.metadata().name())
                .withNamespace(site.metadata().namespace()).build());
        resource.setSpec(site.spec());
        return client.resources(ProxySiteResource.class).inNamespace(site.metadata().namespace()).resource(resource).create();
    }

    /**
     * A ClusterIP Service exposing exactly {@code ports}, with its one endpoint ({@link #endpointOf});
     * replaces one of that name, as a change of its ports does.
     */
    Service service(String namespace, String name, int... ports) {
        namespace(namespace);
        ServiceBuilder service = new ServiceBuilder()
                .withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
                .withNewSpec().withType("ClusterIP").endSpec();
        Set<Integer> all = new TreeSet<>();
        for (int port : ports) {
            service.editSpec().addNewPort().withName("port-" + port).withPort(port).endPort().endSpec();
            all.add(port);
        }
        Service created = client.services().inNamespace(namespace).resource(service.build()).createOr(s -> s.update());
        endpointOf(namespace, name, all, true);
        return created;
    }

    <T extends HasMetadata> T get(Class<T> kind, String namespace, String name) {
        return client.resources(kind).inNamespace(namespace).withName(name).get();
    }

    /** A Secret's value as text; "" when the key is absent. */
    static String decode(Secret secret, String key) {
        String value = secret.getData() == null ? null : secret.getData().get(key);
        return value == null ? "" : new String(Base64.getDecoder().decode(value), StandardCharsets.UTF_8);
    }
}
