package dev.portico.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.portico.crds.ProxySiteLoader;
import dev.portico.crds.v1alpha1.ProxySiteStatus;
import dev.portico.operator.api.ProxyClassResource;
import dev.portico.operator.testbed.ClusterTest;
import dev.portico.operator.testbed.StandInPods;
import dev.portico.operator.testbed.Testbed;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * ProxyClasses on the real API server, with the operator as shipped: a class shapes the pods
 * of the sites that use it and of no others, a change to it rolls exactly those, the default
 * class serves sites that name none, and a missing, ambiguous or invalid class is a condition
 * that leaves the running pods alone. Classes are cluster-wide: each test deletes its own,
 * so that no other test's sites pick one up.
 */
@ClusterTest
@Timeout(300)
class ProxyClassClusterTest {

    private static final String NS = "proxy-classes";
    private static final String EARLY_NS = "proxy-classes-early";

    @TempDir
    Path root;
    private Testbed testbed;

    @AfterEach
    void deleteClasses() {
        if (testbed != null) {
            classes(testbed).withLabel("test", "proxy-class-cluster-test").delete();
        }
    }

    @Test
    void aClassShapesAndRollsExactlyTheSitesUsingIt(Testbed testbed) throws Exception {
        this.testbed = testbed;
        try (StandInPods standIns = new StandInPods();
             ClusterStandIn cluster = new ClusterStandIn(testbed, root, pod -> true, standIns)) {
            createClass(testbed, """
                    metadata: {name: edge}
                    spec:
                      resources: {requests: {cpu: 50m, memory: 300Mi}, limits: {memory: 300Mi}}
                      tolerations: [{key: dedicated, operator: Equal, value: edge, effect: NoSchedule}]
                      podLabels: {team: platform}
                      podAnnotations: {example.com/scrape: "yes"}
                      jvmOptions: ["-XX:MaxRAMPercentage=70"]
                      service: {type: NodePort, annotations: {example.com/lb: edge}}
                    """);
            cluster.apply(ProxySiteLoader.parse(site("small", "proxyClassName: edge")));
            cluster.apply(ProxySiteLoader.parse(site("plain", "")));
            cluster.awaitProgrammed(NS, "small");
            cluster.awaitProgrammed(NS, "plain");
            await().atMost(ClusterStandIn.CONVERGE).until(() -> ready(cluster, "small") && ready(cluster, "plain"));

            PodTemplateSpec small = deployment(cluster, "small").getSpec().getTemplate();
            assertThat(small.getMetadata().getLabels()).containsEntry("team", "platform")
                    .containsEntry("app.kubernetes.io/instance", "small");
            assertThat(small.getMetadata().getAnnotations()).containsEntry("example.com/scrape", "yes");
            assertThat(small.getSpec().getTolerations()).singleElement()
                    .satisfies(t -> assertThat(t.getValue()).isEqualTo("edge"));
            assertThat(small.getSpec().getContainers().get(0).getResources().getLimits())
                    .containsEntry("memory", new Quantity("300Mi"));
            assertThat(small.getSpec().getContainers().get(0).getEnv())
                    .containsExactly(new EnvVar("JDK_JAVA_OPTIONS", "-XX:MaxRAMPercentage=70", null));
            assertThat(cluster.client.services().inNamespace(NS).withName("small-proxy").require())
                    .satisfies(s -> {
                        assertThat(s.getSpec().getType()).isEqualTo("NodePort");
                        assertThat(s.getMetadata().getAnnotations()).containsEntry("example.com/lb", "edge");
                    });
            assertThat(cluster.status(NS, "small").proxyClassName()).isEqualTo("edge");
            assertThat(cluster.client.pods().inNamespace(NS).withLabel("app.kubernetes.io/instance", "small").list()
                    .getItems()).as("the ReplicaSet controller's pods carry the class's label")
                    .isNotEmpty()
                    .allSatisfy(pod -> assertThat(pod.getMetadata().getLabels()).containsEntry("team", "platform"));

            PodTemplateSpec plain = deployment(cluster, "plain").getSpec().getTemplate();
            assertThat(plain.getMetadata().getLabels()).doesNotContainKey("team");
            assertThat(plain.getSpec().getContainers().get(0).getEnv()).isEmpty();
            assertThat(cluster.client.services().inNamespace(NS).withName("plain-proxy").require().getSpec().getType())
                    .isEqualTo("ClusterIP");
            assertThat(cluster.status(NS, "plain").proxyClassName()).isNull();

            // A change to the class rolls its site and leaves the other alone.
            long smallGeneration = deployment(cluster, "small").getMetadata().getGeneration();
            String plainVersion = deployment(cluster, "plain").getMetadata().getResourceVersion();
            editClass(testbed, "edge", "300Mi", "400Mi");
            await().atMost(ClusterStandIn.CONVERGE).until(() -> deployment(cluster, "small").getSpec().getTemplate()
                    .getSpec().getContainers().get(0).getResources().getLimits().get("memory").equals(new Quantity("400Mi")));
            assertThat(deployment(cluster, "small").getMetadata().getGeneration()).isGreaterThan(smallGeneration);
            await().atMost(ClusterStandIn.CONVERGE).until(() -> ready(cluster, "small"));
            assertThat(deployment(cluster, "plain").getMetadata().getResourceVersion())
                    .as("the site without the class").isEqualTo(plainVersion);

            // A default class: the site that names none takes it; the one that names edge keeps edge.
            smallGeneration = deployment(cluster, "small").getMetadata().getGeneration();
            createClass(testbed, """
                    metadata: {name: standard, annotations: {portico.dev/is-default-class: "true"}}
                    spec: {podLabels: {tier: standard}}
                    """);
            await().atMost(ClusterStandIn.CONVERGE).until(() -> "standard".equals(
                    deployment(cluster, "plain").getSpec().getTemplate().getMetadata().getLabels().get("tier")));
            await().atMost(ClusterStandIn.CONVERGE).until(() -> "standard".equals(cluster.status(NS, "plain").proxyClassName()));
            assertThat(deployment(cluster, "small").getMetadata().getGeneration()).isEqualTo(smallGeneration);

            // Two defaults: the sites relying on the default say so and keep their pods.
            String plainTemplate = Serialization.asYaml(deployment(cluster, "plain").getSpec().getTemplate());
            createClass(testbed, """
                    metadata: {name: standard-too, annotations: {portico.dev/is-default-class: "true"}}
                    spec: {podLabels: {tier: other}}
                    """);
            ProxySiteStatus ambiguous = await().atMost(ClusterStandIn.CONVERGE).until(() -> cluster.status(NS, "plain"),
                    s -> ClusterStandIn.condition(s, "ResolvedRefs").status().equals("False"));
            assertThat(ClusterStandIn.condition(ambiguous, "ResolvedRefs").reason()).isEqualTo("AmbiguousDefaultProxyClass");
            assertThat(ClusterStandIn.condition(ambiguous, "ResolvedRefs").message())
                    .contains("spec.proxyClassName", "standard, standard-too");
            assertThat(ClusterStandIn.condition(ambiguous, "Ready").status()).isEqualTo("False");
            assertThat(Serialization.asYaml(deployment(cluster, "plain").getSpec().getTemplate())).isEqualTo(plainTemplate);
            assertThat(ready(cluster, "small")).as("a site naming its class is not concerned").isTrue();
            classes(testbed).withName("standard-too").delete();
            await().atMost(ClusterStandIn.CONVERGE).until(() -> ready(cluster, "plain"));

            // The class of a site goes away: a condition; the pods run on as they were.
            String smallTemplate = Serialization.asYaml(deployment(cluster, "small").getSpec().getTemplate());
            classes(testbed).withName("edge").delete();
            ProxySiteStatus missing = await().atMost(ClusterStandIn.CONVERGE).until(() -> cluster.status(NS, "small"),
                    s -> ClusterStandIn.condition(s, "ResolvedRefs").status().equals("False"));
            assertThat(ClusterStandIn.condition(missing, "ResolvedRefs").reason()).isEqualTo("ProxyClassNotFound");
            assertThat(ClusterStandIn.condition(missing, "ResolvedRefs").message())
                    .isEqualTo("spec.proxyClassName: ProxyClass \"edge\" not found");
            assertThat(Serialization.asYaml(deployment(cluster, "small").getSpec().getTemplate())).isEqualTo(smallTemplate);

            // A class the API server took, but whose labels a pod could not carry.
            createClass(testbed, """
                    metadata: {name: edge}
                    spec: {podLabels: {team: "platform team"}}
                    """);
            ProxySiteStatus invalid = await().atMost(ClusterStandIn.CONVERGE).until(() -> cluster.status(NS, "small"),
                    s -> "InvalidProxyClass".equals(ClusterStandIn.condition(s, "ResolvedRefs").reason()));
            assertThat(ClusterStandIn.condition(invalid, "ResolvedRefs").message())
                    .startsWith("spec.proxyClassName: ProxyClass \"edge\" is invalid: spec.podLabels[team]: must be a label value");
            assertThat(Serialization.asYaml(deployment(cluster, "small").getSpec().getTemplate())).isEqualTo(smallTemplate);
        }
    }

    @Test
    void aSiteNamingAClassThatDoesNotExistYetWaitsForIt(Testbed testbed) {
        this.testbed = testbed;
        try (StandInPods standIns = new StandInPods();
             ClusterStandIn cluster = new ClusterStandIn(testbed, root, pod -> true, standIns)) {
            cluster.apply(ProxySiteLoader.parse(site("early", EARLY_NS, "proxyClassName: later")));
            ProxySiteStatus waiting = await().atMost(ClusterStandIn.CONVERGE).until(() -> cluster.status(EARLY_NS, "early"),
                    s -> s != null && s.conditions() != null && s.conditions().stream()
                            .anyMatch(c -> c.type().equals("ResolvedRefs") && c.status().equals("False")));
            assertThat(ClusterStandIn.condition(waiting, "ResolvedRefs").reason()).isEqualTo("ProxyClassNotFound");
            assertThat(cluster.client.apps().deployments().inNamespace(EARLY_NS).withName("early-proxy").get())
                    .as("nothing runs before its class exists").isNull();

            createClass(testbed, """
                    metadata: {name: later}
                    spec: {podLabels: {team: late}}
                    """);
            cluster.awaitProgrammed(EARLY_NS, "early");
            assertThat(deployment(cluster, EARLY_NS, "early").getSpec().getTemplate().getMetadata().getLabels())
                    .containsEntry("team", "late");
        }
    }

    @Test
    void theApiServerRefusesABadClassNamingTheField(Testbed testbed) {
        this.testbed = testbed;
        assertThatThrownBy(() -> createClass(testbed, """
                metadata: {name: selector-thief}
                spec: {podLabels: {app.kubernetes.io/instance: other}}
                """))
                .isInstanceOf(KubernetesClientException.class)
                .hasMessageContaining("spec.podLabels")
                .hasMessageContaining("the operator selects its pods by them");
        assertThatThrownBy(() -> createClass(testbed, """
                metadata: {name: not-an-option}
                spec: {jvmOptions: ["Xmx1g"]}
                """))
                .isInstanceOf(KubernetesClientException.class)
                .hasMessageContaining("spec.jvmOptions")
                .hasMessageContaining("each JVM option starts with '-'");
        assertThatThrownBy(() -> createClass(testbed, """
                metadata: {name: shared-port}
                spec: {service: {type: NodePort, nodePorts: {http: 30080}}}
                """))
                .isInstanceOf(KubernetesClientException.class)
                .hasMessageContaining("spec.service.nodePorts")
                .hasMessageContaining("two sites cannot share a node port");
    }

    private static String site(String name, String extra) {
        return site(name, NS, extra);
    }

    private static String site(String name, String namespace, String extra) {
        return """
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: %s, namespace: %s}
                spec:
                  hosts: [%s.example.com]
                  replicas: 1
                  %s
                  routes:
                    - match: {path: {value: /}}
                      backend: {service: app, port: 8000}
                """.formatted(name, namespace, name, extra);
    }

    private static void createClass(Testbed testbed, String yaml) {
        ProxyClassResource proxyClass = Serialization.unmarshal(
                "apiVersion: portico.dev/v1alpha1\nkind: ProxyClass\n" + yaml, ProxyClassResource.class);
        proxyClass.getMetadata().setLabels(Map.of("test", "proxy-class-cluster-test"));
        classes(testbed).resource(proxyClass).create();
    }

    private static void editClass(Testbed testbed, String name, String from, String to) {
        classes(testbed).withName(name).edit(c -> Serialization.unmarshal(
                Serialization.asYaml(c).replace(from, to), ProxyClassResource.class));
    }

    private static NonNamespaceOperation<ProxyClassResource, KubernetesResourceList<ProxyClassResource>,
            Resource<ProxyClassResource>> classes(Testbed testbed) {
        return testbed.admin().resources(ProxyClassResource.class);
    }

    private static Deployment deployment(ClusterStandIn cluster, String site) {
        return deployment(cluster, NS, site);
    }

    private static Deployment deployment(ClusterStandIn cluster, String namespace, String site) {
        return cluster.client.apps().deployments().inNamespace(namespace).withName(site + "-proxy").require();
    }

    private static boolean ready(ClusterStandIn cluster, String site) {
        ProxySiteStatus status = cluster.status(NS, site);
        return status != null && status.conditions() != null && status.conditions().stream()
                .anyMatch(c -> c.type().equals("Ready") && c.status().equals("True"));
    }
}
