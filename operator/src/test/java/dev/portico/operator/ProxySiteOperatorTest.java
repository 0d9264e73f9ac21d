package dev.portico.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;
import static org.awaitility.Awaitility.await;

import dev.portico.crds.ProxySiteLoader;
import dev.portico.crds.v1alpha1.ProxySiteStatus;
import dev.portico.operator.api.ProxySiteResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.apps.DeploymentConditionBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The whole operator, as OperatorMain assembles it, against fabric8's mock API server in CRUD
 * mode. Server-side apply and leader election are off: the mock has neither.
 */
@EnableKubernetesMockClient(crud = true)
class ProxySiteOperatorTest {

    private static final String NS = "aidoo";
    private static final String IMAGE = "portico/proxy-runtime:test";

    KubernetesMockServer server;
    KubernetesClient client;

    private Operator operator;
    private final AtomicInteger reconciles = new AtomicInteger();

    @BeforeEach
    void startOperator() {
        server.expectCustomResource(CustomResourceDefinitionContext.fromCustomResourceType(ProxySiteResource.class));
        OperatorConfig config = new OperatorConfig(IMAGE, Set.of(), false, false, null, 0);
        Metrics counting = new Metrics() {
            @Override
            public void finishedReconciliation(HasMetadata resource, Map<String, Object> metadata) {
                reconciles.incrementAndGet();
            }
        };
        operator = PorticoOperator.create(config, client, counting, false);
        operator.start();
        // The backend every site() routes to; the operator programs no site whose Service is missing.
        client.services().inNamespace(NS).resource(new io.fabric8.kubernetes.api.model.ServiceBuilder()
                .withNewMetadata().withName("vera-frontend").endMetadata()
                .withNewSpec()
                    .addNewPort().withName("http").withPort(3000).endPort()
                    .addNewPort().withName("http-next").withPort(3001).endPort()
                .endSpec()
                .build()).create();
    }

    @AfterEach
    void stopOperator() {
        operator.stop();
    }

    @Test
    void createsTheOwnedAndLabelledProxyObjects() {
        ProxySiteResource site = create(site("vera", 1, ""));

        Deployment deployment = await().until(() -> get(Deployment.class, "vera-proxy"), d -> d != null);
        Service service = await().until(() -> get(Service.class, "vera-proxy"), s -> s != null);
        ServiceAccount account = await().until(() -> get(ServiceAccount.class, "vera-proxy"), a -> a != null);
        Secret bundle = await().until(() -> get(Secret.class, "vera-proxy-config"), b -> b != null);
        Secret admin = await().until(() -> get(Secret.class, "vera-proxy-admin"), a -> a != null);
        NetworkPolicy policy = await().until(() -> get(NetworkPolicy.class, "vera-proxy"), p -> p != null);
        for (HasMetadata object : List.of(deployment, service, account, bundle, admin, policy)) {
            assertOwnedAndLabelled(object, site);
        }
        assertThat(decode(admin, "token")).as("a random push token").hasSizeGreaterThanOrEqualTo(40);
        assertThat(deployment.getSpec().getReplicas()).isEqualTo(1);
        assertThat(deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getImage()).isEqualTo(IMAGE);
        assertThat(service.getSpec().getPorts()).extracting(ServicePort::getName).containsExactly("http");
        assertThat(account.getAutomountServiceAccountToken()).isFalse();
        assertThat(decode(bundle, "site.yaml")).contains("vera.example.com");
        assertThat(get(PodDisruptionBudget.class, "vera-proxy")).as("one replica, no PDB").isNull();

        String hash = bundle.getMetadata().getAnnotations().get("portico.dev/config-hash");
        assertThat(Long.parseLong(decode(bundle, "revision"))).isPositive();
        ProxySiteStatus status = await().until(() -> status("vera"), s -> s != null && condition(s, "Programmed").isPresent());
        assertThat(condition(status, "Accepted")).hasValueSatisfying(c -> assertThat(c.status()).isEqualTo("True"));
        assertThat(condition(status, "ResolvedRefs")).hasValueSatisfying(c -> assertThat(c.status()).isEqualTo("True"));
        assertThat(condition(status, "Programmed")).hasValueSatisfying(c -> {
            assertThat(c.status()).isEqualTo("False");
            assertThat(c.reason()).isEqualTo("NoReadyPods");
            assertThat(c.message()).isEqualTo("0/0 pods serve " + hash + "; no proxy pod is ready yet");
        });
        assertThat(condition(status, "Ready")).hasValueSatisfying(c -> assertThat(c.status()).isEqualTo("False"));
        assertThat(status.configHash()).as("no pod has said it serves anything").isNull();
        assertThat(status.url()).isEqualTo("http://vera.example.com");
        assertThat(status.selector()).isEqualTo("app.kubernetes.io/name=portico-proxy,app.kubernetes.io/instance=vera");
    }

    @Test
    void readyFollowsTheDeploymentsAvailability() {
        create(site("vera", 2, ""));
        Deployment deployment = await().until(() -> get(Deployment.class, "vera-proxy"), d -> d != null);

        deployment.setStatus(new DeploymentStatusBuilder()
                .withObservedGeneration(Optional.ofNullable(deployment.getMetadata().getGeneration()).orElse(1L))
                .withReplicas(2).withUpdatedReplicas(2).withReadyReplicas(2).withAvailableReplicas(2)
                .withConditions(new DeploymentConditionBuilder().withType("Available").withStatus("True").build())
                .build());
        client.apps().deployments().inNamespace(NS).resource(deployment).updateStatus();

        ProxySiteStatus status = await().until(() -> status("vera"),
                s -> s != null && condition(s, "Ready").map(c -> c.status().equals("True")).orElse(false));
        assertThat(condition(status, "Ready")).hasValueSatisfying(c -> assertThat(c.reason()).isEqualTo("Available"));
        assertThat(status.replicas()).isEqualTo(2);
        assertThat(status.readyReplicas()).isEqualTo(2);
        // Programmed is what the pods say they serve (ConfigPushTest); no pod has said anything here.
        assertThat(condition(status, "Programmed")).hasValueSatisfying(c -> assertThat(c.status()).isEqualTo("False"));
    }

    @Test
    void aChangedRouteReRendersTheBundleAtANewRevisionAndRestartsNoPod() {
        ProxySiteResource site = create(site("vera", 1, ""));
        Secret bundle = await().until(() -> get(Secret.class, "vera-proxy-config"), b -> b != null);
        String before = bundle.getMetadata().getAnnotations().get("portico.dev/config-hash");
        long revisionBefore = Long.parseLong(decode(bundle, "revision"));
        Deployment deployment = await().until(() -> get(Deployment.class, "vera-proxy"), d -> d != null);

        edit(site, spec -> spec.replace("port: 3000", "port: 3001"));

        Secret changed = await().until(() -> get(Secret.class, "vera-proxy-config"),
                b -> !before.equals(b.getMetadata().getAnnotations().get("portico.dev/config-hash")));
        assertThat(decode(changed, "site.yaml")).contains("port: 3001");
        assertThat(Long.parseLong(decode(changed, "revision"))).isGreaterThan(revisionBefore);
        assertThat(get(Deployment.class, "vera-proxy").getSpec().getTemplate())
                .as("a pushable change leaves the pod template alone").isEqualTo(deployment.getSpec().getTemplate());
    }

    @Test
    void moreThanOneReplicaKeepsAPodDisruptionBudgetAndOneRemovesIt() {
        ProxySiteResource site = create(site("vera", 1, ""));
        await().until(() -> get(Deployment.class, "vera-proxy"), d -> d != null);
        assertThat(get(PodDisruptionBudget.class, "vera-proxy")).isNull();

        site = edit(site, spec -> spec.replace("replicas: 1", "replicas: 3"));
        PodDisruptionBudget pdb = await().until(() -> get(PodDisruptionBudget.class, "vera-proxy"), p -> p != null);
        assertOwnedAndLabelled(pdb, site);
        assertThat(pdb.getSpec().getMaxUnavailable().getIntVal()).isEqualTo(1);
        await().untilAsserted(() -> assertThat(get(Deployment.class, "vera-proxy").getSpec().getReplicas()).isEqualTo(3));

        edit(site, spec -> spec.replace("replicas: 3", "replicas: 1"));
        await().untilAsserted(() -> assertThat(get(PodDisruptionBudget.class, "vera-proxy")).isNull());
        await().untilAsserted(() -> assertThat(get(Deployment.class, "vera-proxy").getSpec().getReplicas()).isEqualTo(1));
    }

    @Test
    void aTlsSiteBundlesItsSecretsPemsAndARotationReRendersIt() {
        createTlsSecret("vera-tls", "FIRST");
        create(site("vera", 1, "  tls: {certificates: [{secretName: vera-tls}]}\n"));

        Secret bundle = await().until(() -> get(Secret.class, "vera-proxy-config"), b -> b != null);
        assertThat(decode(bundle, "vera-tls.tls.crt")).contains("FIRST");
        assertThat(decode(bundle, "vera-tls.tls.key")).contains("-----BEGIN PRIVATE KEY-----");
        Service service = await().until(() -> get(Service.class, "vera-proxy"), s -> s != null);
        assertThat(service.getSpec().getPorts()).extracting(ServicePort::getName, ServicePort::getPort)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("http", 80), org.assertj.core.groups.Tuple.tuple("https", 443));
        await().untilAsserted(() -> assertThat(status("vera").url()).isEqualTo("https://vera.example.com"));

        createTlsSecret("vera-tls", "RENEWED");

        Deployment deployment = get(Deployment.class, "vera-proxy");
        Secret renewed = await().until(() -> get(Secret.class, "vera-proxy-config"),
                b -> decode(b, "vera-tls.tls.crt").contains("RENEWED"));
        assertThat(renewed.getMetadata().getAnnotations().get("portico.dev/config-hash"))
                .isNotEqualTo(bundle.getMetadata().getAnnotations().get("portico.dev/config-hash"));
        assertThat(get(Deployment.class, "vera-proxy").getSpec().getTemplate()).isEqualTo(deployment.getSpec().getTemplate());
    }

    @Test
    void anInvalidEditIsRefusedWithTheFieldNamedAndLeavesTheProxyAsItWas() {
        ProxySiteResource site = create(site("vera", 1, ""));
        Deployment before = await().until(() -> get(Deployment.class, "vera-proxy"), d -> d != null);
        Secret bundleBefore = await().until(() -> get(Secret.class, "vera-proxy-config"), b -> b != null);
        ProxySiteStatus accepted = await().until(() -> status("vera"), s -> s != null && condition(s, "Accepted").isPresent());

        site = edit(site, spec -> spec.replace("port: 3000", "port: 70000").replace("replicas: 1", "replicas: 4"));

        ProxySiteStatus refused = await().until(() -> status("vera"),
                s -> condition(s, "Accepted").map(c -> c.status().equals("False")).orElse(false));
        assertThat(condition(refused, "Accepted")).hasValueSatisfying(c -> {
            assertThat(c.reason()).isEqualTo("Invalid");
            assertThat(c.message()).contains("spec.routes[0].backend.port");
        });
        assertThat(condition(refused, "Programmed")).hasValueSatisfying(c -> assertThat(c.status()).isEqualTo("False"));
        assertThat(refused.configHash()).isEqualTo(accepted.configHash());
        await().untilAsserted(() -> assertThat(client.v1().events().inNamespace(NS).list().getItems())
                .anySatisfy(e -> {
                    assertThat(e.getReason()).isEqualTo("Invalid");
                    assertThat(e.getType()).isEqualTo("Warning");
                    assertThat(e.getInvolvedObject().getName()).isEqualTo("vera");
                    assertThat(e.getMessage()).contains("spec.routes[0].backend.port");
                }));
        // Untouched: same resourceVersion, replicas and bundle; no PDB for the refused replicas: 4.
        assertThat(get(Deployment.class, "vera-proxy").getMetadata().getResourceVersion())
                .isEqualTo(before.getMetadata().getResourceVersion());
        assertThat(get(Secret.class, "vera-proxy-config").getMetadata().getResourceVersion())
                .isEqualTo(bundleBefore.getMetadata().getResourceVersion());
        assertThat(get(PodDisruptionBudget.class, "vera-proxy")).isNull();

        edit(site, spec -> spec.replace("port: 70000", "port: 3000"));
        await().untilAsserted(() -> assertThat(condition(status("vera"), "Accepted"))
                .hasValueSatisfying(c -> assertThat(c.status()).isEqualTo("True")));
        await().untilAsserted(() -> assertThat(get(Deployment.class, "vera-proxy").getSpec().getReplicas()).isEqualTo(4));
        await().until(() -> get(PodDisruptionBudget.class, "vera-proxy"), p -> p != null);
    }

    @Test
    void aMissingOrMalformedSecretIsReportedAndResolvesOnceItIsThere() {
        create(site("vera", 1, "  tls: {certificates: [{secretName: vera-tls}]}\n"));

        ProxySiteStatus missing = await().until(() -> status("vera"),
                s -> s != null && condition(s, "ResolvedRefs").map(c -> c.status().equals("False")).orElse(false));
        assertThat(condition(missing, "ResolvedRefs")).hasValueSatisfying(c -> {
            assertThat(c.reason()).isEqualTo("SecretNotFound");
            assertThat(c.message()).contains("spec.tls.certificates[0].secretName").contains("vera-tls");
        });
        assertThat(condition(missing, "Programmed")).hasValueSatisfying(c -> assertThat(c.status()).isEqualTo("False"));
        assertThat(get(Deployment.class, "vera-proxy")).as("nothing rolled out without its certificate").isNull();

        client.secrets().inNamespace(NS).resource(new SecretBuilder()
                .withNewMetadata().withName("vera-tls").endMetadata()
                .withType("Opaque")
                .withData(Map.of("tls.crt", base64("not a certificate")))
                .build()).create();
        await().untilAsserted(() -> assertThat(condition(status("vera"), "ResolvedRefs")).hasValueSatisfying(c -> {
            assertThat(c.reason()).isEqualTo("InvalidSecret");
            assertThat(c.message()).contains("must be kubernetes.io/tls");
        }));

        client.secrets().inNamespace(NS).withName("vera-tls").delete();
        await().until(() -> client.secrets().inNamespace(NS).withName("vera-tls").get() == null);
        createTlsSecret("vera-tls", "GOOD");
        await().untilAsserted(() -> assertThat(condition(status("vera"), "ResolvedRefs"))
                .hasValueSatisfying(c -> assertThat(c.status()).isEqualTo("True")));
        await().until(() -> get(Deployment.class, "vera-proxy"), d -> d != null);
    }

    @Test
    void reconcilingAnUnchangedSiteWritesNothing() throws InterruptedException {
        createTlsSecret("vera-tls", "FIRST");
        create(site("vera", 3, "  tls: {certificates: [{secretName: vera-tls}]}\n"));
        await().until(() -> get(PodDisruptionBudget.class, "vera-proxy"), p -> p != null);
        await().until(() -> status("vera"), s -> s != null && condition(s, "Programmed").isPresent());
        settle();
        drainRequests();

        // An unrelated change to the Secret the site uses makes the operator reconcile it again.
        int reconcilesBefore = reconciles.get();
        client.secrets().inNamespace(NS).withName("vera-tls")
                .edit(s -> new SecretBuilder(s).editMetadata().addToLabels("touched", "yes").endMetadata().build());
        await().until(() -> reconciles.get() > reconcilesBefore);
        settle();

        List<String> writes = new ArrayList<>();
        for (RecordedRequest request : drainRequests()) {
            boolean write = !request.getMethod().equals("GET");
            boolean ours = request.getPath().contains("/secrets/vera-tls");
            if (write && !ours) {
                writes.add(request.getMethod() + " " + request.getPath());
            }
        }
        assertThat(writes).as("write calls while reconciling an unchanged site").isEmpty();
    }

    // --- helpers

    private static String site(String name, int replicas, String tls) {
        return """
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: %s, namespace: %s}
                spec:
                  hosts: ["%s.example.com"]
                  replicas: %d
                %s  routes:
                    - match: {path: {value: /}}
                      backend: {service: %s-frontend, port: 3000}
                """.formatted(name, NS, name, replicas, tls, name);
    }

    private ProxySiteResource create(String yaml) {
        var document = ProxySiteLoader.parse(yaml);
        ProxySiteResource resource = new ProxySiteResource();
        resource.setMetadata(new ObjectMetaBuilder().withName(document.metadata().name()).withNamespace(NS).build());
        resource.setSpec(document.spec());
        return client.resources(ProxySiteResource.class).inNamespace(NS).resource(resource).create();
    }

    /**
     * Re-writes the spec as YAML text, edits it and writes it back, the way a user edits a file.
     * Like kubectl edit, it starts over when the operator's status patch lands in between (409).
     */
    private ProxySiteResource edit(ProxySiteResource site, java.util.function.UnaryOperator<String> change) {
        for (int attempt = 1; ; attempt++) {
            try {
                return editOnce(site, change);
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409 || attempt == 5) {
                    throw e;
                }
            }
        }
    }

    private ProxySiteResource editOnce(ProxySiteResource site, java.util.function.UnaryOperator<String> change) {
        ProxySiteResource current = client.resources(ProxySiteResource.class).inNamespace(NS)
                .withName(site.getMetadata().getName()).get();
        String specYaml = ProxySiteLoader.toYaml(new dev.portico.crds.v1alpha1.ProxySite(
                "portico.dev/v1alpha1", "ProxySite", null, current.getSpec()));
        var edited = ProxySiteLoader.parse(change.apply(specYaml));
        return client.resources(ProxySiteResource.class).inNamespace(NS).withName(site.getMetadata().getName())
                .edit(r -> {
                    r.setSpec(edited.spec());
                    return r;
                });
    }

    private <T extends HasMetadata> T get(Class<T> type, String name) {
        return client.resources(type).inNamespace(NS).withName(name).get();
    }

    private ProxySiteStatus status(String name) {
        ProxySiteResource site = get(ProxySiteResource.class, name);
        return site == null ? null : site.getStatus();
    }

    private static Optional<ProxySiteStatus.Condition> condition(ProxySiteStatus status, String type) {
        if (status == null || status.conditions() == null) {
            return Optional.empty();
        }
        return status.conditions().stream().filter(c -> c.type().equals(type)).findFirst();
    }


    private static void assertOwnedAndLabelled(HasMetadata object, ProxySiteResource site) {
        assertThat(object.getMetadata().getLabels()).contains(
                entry("app.kubernetes.io/name", "portico-proxy"),
                entry("app.kubernetes.io/instance", site.getMetadata().getName()),
                entry("app.kubernetes.io/managed-by", "portico"));
        assertThat(object.getMetadata().getOwnerReferences()).singleElement().satisfies(owner -> {
            assertThat(owner.getKind()).isEqualTo("ProxySite");
            assertThat(owner.getApiVersion()).isEqualTo("portico.dev/v1alpha1");
            assertThat(owner.getName()).isEqualTo(site.getMetadata().getName());
            assertThat(owner.getUid()).isEqualTo(site.getMetadata().getUid());
            assertThat(owner.getController()).isTrue();
        });
    }

    private void createTlsSecret(String name, String marker) {
        Secret secret = new SecretBuilder()
                .withNewMetadata().withName(name).withNamespace(NS).endMetadata()
                .withType("kubernetes.io/tls")
                .withData(Map.of(
                        "tls.crt", base64("-----BEGIN CERTIFICATE-----\n" + marker + "\n-----END CERTIFICATE-----\n"),
                        "tls.key", base64("-----BEGIN PRIVATE KEY-----\n" + marker + "\n-----END PRIVATE KEY-----\n")))
                .build();
        client.secrets().inNamespace(NS).resource(secret).createOr(existing -> existing.update());
    }

    private static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    private static String decode(Secret secret, String key) {
        String value = secret.getData().get(key);
        return value == null ? "" : new String(Base64.getDecoder().decode(value), StandardCharsets.UTF_8);
    }

    private List<RecordedRequest> drainRequests() throws InterruptedException {
        List<RecordedRequest> requests = new ArrayList<>();
        RecordedRequest request;
        while ((request = server.takeRequest(200, TimeUnit.MILLISECONDS)) != null) {
            requests.add(request);
        }
        return requests;
    }

    private static void settle() throws InterruptedException {
        Thread.sleep(Duration.ofMillis(1500).toMillis());
    }
}
