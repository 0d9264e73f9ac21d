package dev.portico.operator.e2e;

import static dev.portico.operator.e2e.ClusterStandIn.condition;
import static dev.portico.operator.e2e.ClusterStandIn.decode;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.entry;
import static org.assertj.core.api.Assertions.tuple;

import dev.portico.crds.ProxySiteLoader;
import dev.portico.crds.v1alpha1.ProxySiteStatus;
import dev.portico.operator.api.ProxySiteResource;
import dev.portico.operator.push.ConfigPusher;
import dev.portico.operator.testbed.ClusterTest;
import dev.portico.operator.testbed.ShippedOperator;
import dev.portico.operator.testbed.Testbed;
import dev.portico.operator.testbed.TestbedKubelet;
import dev.portico.runtime.tls.TestCertificates;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import javax.net.ssl.SSLSocket;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * One ProxySite through its life on the real control plane, with the operator as shipped
 * (its ServiceAccount, server-side apply, leader election) and real proxy runtimes in the
 * Pods the real controllers make: what it owns, Ready from the real Deployment status, pushes
 * that restart nothing, the PodDisruptionBudget, TLS Secrets and their rotation, edits the API
 * server or the validator refuses, and a reconcile that writes nothing. Each test has a
 * namespace of its own; the operator is shared by the class.
 */
@ClusterTest
@Timeout(120)
class ProxySiteClusterTest {

    private static final String HOST = "vera.example.com";
    private static final List<Class<? extends HasMetadata>> WRITTEN = List.of(ProxySiteResource.class,
            Deployment.class, Service.class, ServiceAccount.class, Secret.class, NetworkPolicy.class,
            PodDisruptionBudget.class);

    @TempDir
    static Path root;
    private static ClusterStandIn cluster;
    /** namespace/name to the number of reconciles that finished. */
    private static final Map<String, AtomicInteger> reconciles = new ConcurrentHashMap<>();

    private String ns;

    @BeforeAll
    static void startOperator(Testbed testbed) {
        cluster = new ClusterStandIn(testbed, root, pod -> false, null, new Metrics() {
            @Override
            public void finishedReconciliation(HasMetadata resource, Map<String, Object> metadata) {
                reconciles.computeIfAbsent(key(resource.getMetadata().getNamespace(), resource.getMetadata().getName()),
                        k -> new AtomicInteger()).incrementAndGet();
            }
        });
    }

    @AfterAll
    static void stopOperator() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** A namespace of the test's own, with the backend every site() routes to (the operator programs no site without it). */
    @BeforeEach
    void namespace() {
        ns = "proxysite-" + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36 * 36 * 36), 36);
        cluster.service(ns, "vera-frontend", 3000, 3001);
    }

    /** Deleting the namespace stops its pods: the next test's runtimes do not share the machine with them. */
    @AfterEach
    void deleteNamespace() {
        cluster.client.namespaces().withName(ns).delete();
    }

    @Test
    void createsTheOwnedAndLabelledProxyObjects() {
        List<ProxySiteStatus> statuses = new CopyOnWriteArrayList<>();
        try (Watch watch = recordStatuses("vera", statuses)) {
            ProxySiteResource site = cluster.apply(site(1, ""));

            Deployment deployment = eventually().until(() -> get(Deployment.class, "vera-proxy"), d -> d != null);
            Service service = eventually().until(() -> get(Service.class, "vera-proxy"), s -> s != null);
            ServiceAccount account = eventually().until(() -> get(ServiceAccount.class, "vera-proxy"), a -> a != null);
            Secret bundle = eventually().until(() -> get(Secret.class, "vera-proxy-config"), b -> b != null);
            Secret admin = eventually().until(() -> get(Secret.class, "vera-proxy-admin"), a -> a != null);
            NetworkPolicy policy = eventually().until(() -> get(NetworkPolicy.class, "vera-proxy"), p -> p != null);
            for (HasMetadata object : List.of(deployment, service, account, bundle, admin, policy)) {
                assertOwnedAndLabelled(object, site);
            }
            assertThat(decode(admin, "token")).as("a random push token").hasSizeGreaterThanOrEqualTo(40);
            assertThat(deployment.getSpec().getReplicas()).isEqualTo(1);
            assertThat(deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getImage())
                    .isEqualTo(ShippedOperator.PROXY_IMAGE);
            assertThat(service.getSpec().getPorts()).extracting(ServicePort::getName).containsExactly("http");
            assertThat(account.getAutomountServiceAccountToken()).isFalse();
            assertThat(decode(bundle, "site.yaml")).contains(HOST);
            assertThat(Long.parseLong(decode(bundle, "revision"))).isPositive();
            assertThat(get(PodDisruptionBudget.class, "vera-proxy")).as("one replica, no PDB").isNull();
            String hash = bundle.getMetadata().getAnnotations().get("portico.dev/config-hash");

            // The first status is written before the ReplicaSet controller has made a pod.
            ProxySiteStatus first = eventually().until(() -> statuses.stream().findFirst(), s -> s.isPresent()).get();
            assertThat(condition(first, "Accepted").status()).isEqualTo("True");
            assertThat(condition(first, "ResolvedRefs").status()).isEqualTo("True");
            assertThat(condition(first, "Programmed")).satisfies(c -> {
                assertThat(c.status()).isEqualTo("False");
                assertThat(c.reason()).isEqualTo("NoReadyPods");
                assertThat(c.message()).isEqualTo("0/0 pods serve " + hash + "; no proxy pod is ready yet");
            });
            assertThat(condition(first, "Ready").status()).isEqualTo("False");
            assertThat(first.configHash()).as("no pod has said it serves anything").isNull();
            assertThat(first.url()).isEqualTo("http://" + HOST);
            assertThat(first.selector()).isEqualTo("app.kubernetes.io/name=portico-proxy,app.kubernetes.io/instance=vera");

            // Then the pod runs, says it serves the bundle, and the Deployment becomes available.
            cluster.awaitPods(ns, "vera", 1);
            ProxySiteStatus converged = eventually().until(() -> cluster.status(ns, "vera"),
                    s -> condition(s, "Programmed").status().equals("True") && condition(s, "Ready").status().equals("True"));
            assertThat(condition(converged, "Programmed").message()).isEqualTo("1/1 pods serve " + hash);
            assertThat(converged.configHash()).isEqualTo(hash);
        }
    }

    @Test
    void readyFollowsTheDeploymentsAvailability() {
        cluster.apply(site(2, ""));
        List<TestbedKubelet.RunningPod> pods = cluster.awaitPods(ns, "vera", 2);

        ProxySiteStatus available = eventually().until(() -> cluster.status(ns, "vera"),
                s -> condition(s, "Ready").status().equals("True"));
        assertThat(condition(available, "Ready").reason()).isEqualTo("Available");
        assertThat(available.replicas()).isEqualTo(2);
        assertThat(available.readyReplicas()).isEqualTo(2);
        Deployment deployment = get(Deployment.class, "vera-proxy");
        assertThat(deployment.getStatus().getAvailableReplicas()).as("what the real controller reports").isEqualTo(2);

        // A pod's readiness probe fails: with 2 replicas and 25% maxUnavailable the Deployment is no longer available.
        setReady(pods.get(0), false);
        ProxySiteStatus unavailable = eventually().until(() -> cluster.status(ns, "vera"),
                s -> condition(s, "Ready").status().equals("False"));
        assertThat(condition(unavailable, "Ready").reason()).isEqualTo("Unavailable");
        assertThat(condition(unavailable, "Ready").message()).isEqualTo(deploymentAvailable().getMessage());
        assertThat(unavailable.readyReplicas()).isEqualTo(1);

        setReady(pods.get(0), true);
        ProxySiteStatus again = eventually().until(() -> cluster.status(ns, "vera"),
                s -> condition(s, "Ready").status().equals("True"));
        assertThat(condition(again, "Ready").reason()).isEqualTo("Available");
        assertThat(again.readyReplicas()).isEqualTo(2);
    }

    @Test
    void aChangedRouteReRendersTheBundleAtANewRevisionAndRestartsNoPod() {
        cluster.apply(site(1, ""));
        Set<String> uids = uids(cluster.awaitPods(ns, "vera", 1));
        cluster.awaitProgrammed(ns, "vera");
        Secret bundle = get(Secret.class, "vera-proxy-config");
        String before = bundle.getMetadata().getAnnotations().get("portico.dev/config-hash");
        long revisionBefore = Long.parseLong(decode(bundle, "revision"));
        Deployment deployment = get(Deployment.class, "vera-proxy");

        cluster.edit(ns, "vera", yaml -> yaml.replace("port: 3000", "port: 3001"));

        Secret changed = eventually().until(() -> get(Secret.class, "vera-proxy-config"),
                b -> !before.equals(b.getMetadata().getAnnotations().get("portico.dev/config-hash")));
        assertThat(decode(changed, "site.yaml")).contains("port: 3001");
        assertThat(Long.parseLong(decode(changed, "revision"))).isGreaterThan(revisionBefore);
        ProxySiteStatus pushed = cluster.awaitProgrammed(ns, "vera");
        assertThat(pushed.configHash()).as("the running pod serves the new bundle")
                .isEqualTo(changed.getMetadata().getAnnotations().get("portico.dev/config-hash"));
        Deployment after = get(Deployment.class, "vera-proxy");
        assertThat(after.getSpec().getTemplate()).as("a pushable change leaves the pod template alone")
                .isEqualTo(deployment.getSpec().getTemplate());
        assertThat(after.getMetadata().getGeneration()).isEqualTo(deployment.getMetadata().getGeneration());
        assertThat(uids(cluster.kubelet().podsOf(ns, "vera"))).as("no pod was replaced").isEqualTo(uids);
    }

    @Test
    void moreThanOneReplicaKeepsAPodDisruptionBudgetAndOneRemovesIt() {
        ProxySiteResource site = cluster.apply(site(1, ""));
        cluster.awaitPods(ns, "vera", 1);
        assertThat(get(PodDisruptionBudget.class, "vera-proxy")).isNull();

        cluster.edit(ns, "vera", yaml -> yaml.replace("replicas: 1", "replicas: 3"));
        PodDisruptionBudget pdb = eventually().until(() -> get(PodDisruptionBudget.class, "vera-proxy"), p -> p != null);
        assertOwnedAndLabelled(pdb, site);
        assertThat(pdb.getSpec().getMaxUnavailable().getIntVal()).isEqualTo(1);
        // Written side by side with the PDB, as below: the Deployment may land a moment later.
        eventually().untilAsserted(() -> assertThat(get(Deployment.class, "vera-proxy").getSpec().getReplicas())
                .isEqualTo(3));
        cluster.awaitPods(ns, "vera", 3);

        cluster.edit(ns, "vera", yaml -> yaml.replace("replicas: 3", "replicas: 1"));
        eventually().untilAsserted(() -> assertThat(get(PodDisruptionBudget.class, "vera-proxy")).isNull());
        // The workflow writes the Deployment and deletes the PDB side by side: either may land first.
        eventually().untilAsserted(() -> assertThat(get(Deployment.class, "vera-proxy").getSpec().getReplicas())
                .isEqualTo(1));
        cluster.awaitPods(ns, "vera", 1);
    }

    @Test
    void aTlsSiteBundlesItsSecretsPemsAndARotationReRendersIt() throws Exception {
        TestCertificates.Issued first = cluster.tlsSecret(ns, "vera-tls", HOST);
        cluster.apply(site(1, "  tls: {certificates: [{secretName: vera-tls}]}\n"));

        Secret bundle = eventually().until(() -> get(Secret.class, "vera-proxy-config"), b -> b != null);
        assertThat(decode(bundle, "vera-tls.tls.crt")).isEqualTo(TestCertificates.certificatePem(first.chain()));
        assertThat(decode(bundle, "vera-tls.tls.key")).contains("-----BEGIN PRIVATE KEY-----");
        Service service = eventually().until(() -> get(Service.class, "vera-proxy"), s -> s != null);
        assertThat(service.getSpec().getPorts()).extracting(ServicePort::getName, ServicePort::getPort)
                .containsExactly(tuple("http", 80), tuple("https", 443));
        TestbedKubelet.RunningPod pod = cluster.awaitPods(ns, "vera", 1).get(0);
        assertThat(cluster.awaitProgrammed(ns, "vera").url()).isEqualTo("https://" + HOST);
        assertThat(servedSerial(pod)).isEqualTo(first.leaf().getSerialNumber());
        Deployment deployment = get(Deployment.class, "vera-proxy");

        TestCertificates.Issued renewed = cluster.tlsSecret(ns, "vera-tls", HOST);

        Secret rendered = eventually().until(() -> get(Secret.class, "vera-proxy-config"),
                b -> decode(b, "vera-tls.tls.crt").equals(TestCertificates.certificatePem(renewed.chain())));
        assertThat(rendered.getMetadata().getAnnotations().get("portico.dev/config-hash"))
                .isNotEqualTo(bundle.getMetadata().getAnnotations().get("portico.dev/config-hash"));
        assertThat(get(Deployment.class, "vera-proxy").getSpec().getTemplate()).isEqualTo(deployment.getSpec().getTemplate());
        cluster.awaitProgrammed(ns, "vera");
        eventually().untilAsserted(() -> assertThat(servedSerial(pod)).as("the same pod serves the renewed certificate")
                .isEqualTo(renewed.leaf().getSerialNumber()));
        assertThat(uids(cluster.kubelet().podsOf(ns, "vera"))).containsExactly(pod.uid());
    }

    @Test
    void anEditTheApiServerRefusesChangesNothing() {
        cluster.apply(site(1, ""));
        cluster.awaitProgrammed(ns, "vera");
        ProxySiteResource before = get(ProxySiteResource.class, "vera");

        KubernetesClientException refused = catchThrowableOfType(KubernetesClientException.class,
                () -> cluster.edit(ns, "vera", yaml -> yaml.replace("port: 3000", "port: 70000")));

        assertThat(refused).as("the CRD's schema refuses port 70000").isNotNull();
        assertThat(refused.getCode()).isEqualTo(422);
        assertThat(refused.getStatus().getMessage()).contains("spec.routes[0].backend.port");
        ProxySiteResource after = get(ProxySiteResource.class, "vera");
        // Not the resourceVersion: the operator may still be writing status (pods becoming ready)
        // meanwhile. The generation moves with the spec alone.
        assertThat(after.getSpec()).isEqualTo(before.getSpec());
        assertThat(after.getMetadata().getGeneration()).isEqualTo(before.getMetadata().getGeneration());
    }

    /**
     * Specs the CRD lets through but the shared validator refuses (what the schema cannot say:
     * a Java regex that does not compile, an address out of range, a header name as a map key).
     * Each also asks for 2 replicas: none of it may reach the proxy.
     */
    @Test
    void anEditTheValidatorRefusesIsReportedWithTheFieldNamedAndLeavesTheProxyAsItWas() {
        cluster.apply(site(1, ""));
        cluster.awaitPods(ns, "vera", 1);
        ProxySiteStatus accepted = eventually().until(() -> cluster.status(ns, "vera"),
                s -> cluster.programmed(ns, "vera") && condition(s, "Ready").status().equals("True"));
        Map<String, String> before = versions(Deployment.class, Secret.class, Service.class);
        Map<String, String> invalid = Map.of(
                "spec.routes[0].match.path.value", """
                      - match: {path: {type: RegularExpression, value: "/api/(v1"}}
                        backend: {service: vera-frontend, port: 3000}
                    """,
                "spec.accessControl.deny[0]", """
                      - backend: {service: vera-frontend, port: 3000}
                      accessControl: {deny: ["300.0.0.0/8"]}
                    """,
                "spec.headers.response.set[\"X Bad\"]", """
                      - backend: {service: vera-frontend, port: 3000}
                      headers: {response: {set: {"X Bad": "1"}}}
                    """);

        for (Map.Entry<String, String> edit : new TreeMap<>(invalid).entrySet()) {
            String field = edit.getKey();
            cluster.edit(ns, "vera", yaml -> """
                    apiVersion: portico.dev/v1alpha1
                    kind: ProxySite
                    metadata: {name: vera, namespace: %s}
                    spec:
                      hosts: ["%s"]
                      replicas: 2
                      routes:
                    %s""".formatted(ns, HOST, edit.getValue()));

            ProxySiteStatus refused = eventually().until(() -> cluster.status(ns, "vera"),
                    s -> condition(s, "Accepted").status().equals("False") && condition(s, "Accepted").message().contains(field));
            assertThat(condition(refused, "Accepted").reason()).as(field).isEqualTo("Invalid");
            assertThat(condition(refused, "Programmed").status()).as(field).isEqualTo("False");
            assertThat(condition(refused, "Programmed").reason()).as(field).isEqualTo("Invalid");
            assertThat(refused.configHash()).as("the pods keep serving the last good bundle").isEqualTo(accepted.configHash());
            eventually().untilAsserted(() -> assertThat(cluster.client.v1().events().inNamespace(ns).list().getItems())
                    .as(field).anySatisfy(e -> {
                        assertThat(e.getReason()).isEqualTo("Invalid");
                        assertThat(e.getType()).isEqualTo("Warning");
                        assertThat(e.getInvolvedObject().getName()).isEqualTo("vera");
                        assertThat(e.getMessage()).contains(field);
                    }));
            assertThat(versions(Deployment.class, Secret.class, Service.class)).as("untouched after %s", field)
                    .isEqualTo(before);
            assertThat(get(PodDisruptionBudget.class, "vera-proxy")).as("no PDB for the refused replicas: 2").isNull();
        }

        cluster.edit(ns, "vera", yaml -> siteYaml(2, ""));
        eventually().untilAsserted(() -> assertThat(condition(cluster.status(ns, "vera"), "Accepted").status())
                .isEqualTo("True"));
        eventually().until(() -> get(PodDisruptionBudget.class, "vera-proxy"), p -> p != null);
        assertThat(get(Deployment.class, "vera-proxy").getSpec().getReplicas()).isEqualTo(2);
    }

    @Test
    void aMissingSecretServesAPlaceholderAMalformedOneIsReportedAndTheRealOneReplacesIt() throws InterruptedException {
        cluster.apply(site(1, "  tls: {certificates: [{secretName: vera-tls}]}\n"));

        // Missing (cert-manager not done yet): the site starts on a self-signed placeholder, and says so.
        ProxySiteStatus pending = eventually().until(() -> cluster.status(ns, "vera"),
                s -> "Pending".equals(condition(s, "CertificateReady").reason()));
        assertThat(condition(pending, "CertificateReady")).satisfies(c -> {
            assertThat(c.status()).isEqualTo("False");
            assertThat(c.message()).contains("\"vera-tls\" not found yet").contains("self-signed placeholder");
        });
        assertThat(condition(pending, "ResolvedRefs").status()).isEqualTo("True");
        TestbedKubelet.RunningPod pod = cluster.awaitPods(ns, "vera", 1).get(0);
        String placeholderBundle = cluster.awaitProgrammed(ns, "vera").configHash();
        Thread.sleep(1500);
        assertThat(cluster.status(ns, "vera").configHash()).as("the placeholder is kept, not made anew per reconcile")
                .isEqualTo(placeholderBundle);

        cluster.client.secrets().inNamespace(ns).resource(new SecretBuilder()
                .withNewMetadata().withName("vera-tls").endMetadata()
                .withType("Opaque")
                .withData(Map.of("tls.crt", ClusterStandIn.base64("not a certificate")))
                .build()).create();
        // The certificate informer holds kubernetes.io/tls Secrets only, so this one wakes no
        // reconcile: the site's periodic one (ConfigPusher.VERIFY_EVERY) reads it by name.
        Awaitility.await().atMost(ConfigPusher.VERIFY_EVERY.plus(ClusterStandIn.CONVERGE))
                .untilAsserted(() -> assertThat(condition(cluster.status(ns, "vera"), "ResolvedRefs")).satisfies(c -> {
                    assertThat(c.reason()).isEqualTo("InvalidSecret");
                    assertThat(c.message()).contains("is of type Opaque; it must be kubernetes.io/tls");
                }));
        assertThat(cluster.status(ns, "vera").configHash()).as("the pods keep the placeholder").isEqualTo(placeholderBundle);

        // A Secret's type cannot change: the user deletes it and creates the right one.
        cluster.client.secrets().inNamespace(ns).withName("vera-tls").delete();
        eventually().until(() -> get(Secret.class, "vera-tls") == null);
        cluster.tlsSecret(ns, "vera-tls", HOST);
        eventually().untilAsserted(() -> {
            ProxySiteStatus status = cluster.status(ns, "vera");
            assertThat(condition(status, "ResolvedRefs").status()).isEqualTo("True");
            assertThat(condition(status, "CertificateReady").status()).isEqualTo("True");
        });
        cluster.awaitProgrammed(ns, "vera");
        assertThat(cluster.status(ns, "vera").configHash()).isNotEqualTo(placeholderBundle);
        assertThat(cluster.awaitPods(ns, "vera", 1).get(0).uid()).as("pushed, not restarted").isEqualTo(pod.uid());
    }

    /**
     * An unrelated change to the Secret a converged site uses makes the operator reconcile the
     * site again; nothing it owns, nor its status, may get a new resourceVersion from that.
     */
    @Test
    void reconcilingAnUnchangedSiteWritesNothing() throws InterruptedException {
        cluster.tlsSecret(ns, "vera-tls", HOST);
        cluster.apply(site(3, "  tls: {certificates: [{secretName: vera-tls}]}\n"));
        cluster.awaitPods(ns, "vera", 3);
        eventually().until(() -> cluster.programmed(ns, "vera")
                && condition(cluster.status(ns, "vera"), "Ready").status().equals("True")
                && get(PodDisruptionBudget.class, "vera-proxy") != null);
        Thread.sleep(1500); // the last pod answers and controller status writes settle
        Map<String, String> before = versions(WRITTEN);
        AtomicInteger count = reconciles.get(key(ns, "vera"));
        int reconcilesBefore = count.get();

        cluster.client.secrets().inNamespace(ns).withName("vera-tls")
                .edit(s -> new SecretBuilder(s).editMetadata().addToLabels("touched", "yes").endMetadata().build());
        eventually().until(() -> count.get() > reconcilesBefore);
        Thread.sleep(3000);

        Map<String, String> after = versions(WRITTEN);
        after.remove("Secret/vera-tls");
        before.remove("Secret/vera-tls");
        assertThat(after).as("resourceVersions after reconciling an unchanged site").isEqualTo(before);
    }

    // --- helpers

    private <T extends HasMetadata> T get(Class<T> kind, String name) {
        return cluster.get(kind, ns, name);
    }

    private static String key(String namespace, String name) {
        return namespace + "/" + name;
    }

    private dev.portico.crds.v1alpha1.ProxySite site(int replicas, String tls) {
        return ProxySiteLoader.parse(siteYaml(replicas, tls));
    }

    private String siteYaml(int replicas, String tls) {
        return """
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: vera, namespace: %s}
                spec:
                  hosts: ["%s"]
                  replicas: %d
                %s  routes:
                    - match: {path: {value: /}}
                      backend: {service: vera-frontend, port: 3000}
                """.formatted(ns, HOST, replicas, tls);
    }

    private static ConditionFactory eventually() {
        return Awaitility.await().atMost(ClusterStandIn.CONVERGE);
    }

    /** Every status the API server stored for the site, in order, from now on. */
    private Watch recordStatuses(String name, List<ProxySiteStatus> statuses) {
        return cluster.client.resources(ProxySiteResource.class).inNamespace(ns).withName(name).watch(new Watcher<>() {
            @Override
            public void eventReceived(Action action, ProxySiteResource site) {
                if (site.getStatus() != null) {
                    statuses.add(site.getStatus());
                }
            }

            @Override
            public void onClose(WatcherException cause) {}
        });
    }

    /** kind/name to resourceVersion of every object of those kinds in the test's namespace. */
    @SafeVarargs
    private Map<String, String> versions(Class<? extends HasMetadata>... kinds) {
        return versions(List.of(kinds));
    }

    private Map<String, String> versions(List<Class<? extends HasMetadata>> kinds) {
        Map<String, String> versions = new TreeMap<>();
        for (Class<? extends HasMetadata> kind : kinds) {
            for (HasMetadata object : cluster.client.resources(kind).inNamespace(ns).list().getItems()) {
                versions.put(kind.getSimpleName() + "/" + object.getMetadata().getName(),
                        object.getMetadata().getResourceVersion());
            }
        }
        return versions;
    }

    private io.fabric8.kubernetes.api.model.apps.DeploymentCondition deploymentAvailable() {
        return get(Deployment.class, "vera-proxy").getStatus().getConditions().stream()
                .filter(c -> c.getType().equals("Available")).findFirst().orElseThrow();
    }

    /** What a failing or passing readiness probe makes the kubelet write. */
    private void setReady(TestbedKubelet.RunningPod pod, boolean ready) {
        cluster.client.pods().inNamespace(ns).withName(pod.name()).editStatus(p -> {
            p.getStatus().getConditions().stream()
                    .filter(c -> c.getType().equals("Ready") || c.getType().equals("ContainersReady"))
                    .forEach(c -> {
                        c.setStatus(ready ? "True" : "False");
                        c.setLastTransitionTime(java.time.Instant.now().toString());
                    });
            p.getStatus().getContainerStatuses().forEach(s -> s.setReady(ready));
            return p;
        });
    }

    private static Set<String> uids(List<TestbedKubelet.RunningPod> pods) {
        return pods.stream().map(TestbedKubelet.RunningPod::uid).collect(Collectors.toSet());
    }

    /** The serial number of the certificate the pod's TLS listener presents for the site's host. */
    private static BigInteger servedSerial(TestbedKubelet.RunningPod pod) throws Exception {
        try (SSLSocket socket = Clients.tls(cluster.ca.clientContext(), pod.ip(), pod.runtime().httpsPort(), HOST)) {
            return Clients.peerLeaf(socket).getSerialNumber();
        }
    }

    private static void assertOwnedAndLabelled(HasMetadata object, ProxySiteResource site) {
        assertThat(object.getMetadata().getLabels()).as(object.getKind()).contains(
                entry("app.kubernetes.io/name", "portico-proxy"),
                entry("app.kubernetes.io/instance", site.getMetadata().getName()),
                entry("app.kubernetes.io/managed-by", "portico"));
        assertThat(object.getMetadata().getOwnerReferences()).as(object.getKind()).singleElement().satisfies(owner -> {
            assertThat(owner.getKind()).isEqualTo("ProxySite");
            assertThat(owner.getApiVersion()).isEqualTo("portico.dev/v1alpha1");
            assertThat(owner.getName()).isEqualTo(site.getMetadata().getName());
            assertThat(owner.getUid()).isEqualTo(site.getMetadata().getUid());
            assertThat(owner.getController()).isTrue();
        });
    }
}
