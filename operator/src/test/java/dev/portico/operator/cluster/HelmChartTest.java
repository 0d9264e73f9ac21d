package dev.portico.operator.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.portico.operator.testbed.ClusterTest;
import dev.portico.operator.testbed.Install;
import dev.portico.operator.testbed.ShippedOperator;
import dev.portico.operator.testbed.Sites;
import dev.portico.operator.testbed.StandInPods;
import dev.portico.operator.testbed.Testbed;
import dev.portico.operator.testbed.TestbedKubelet;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.netty.resolver.DefaultAddressResolverGroup;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/helm/portico: it lints, renders with its default values exactly the objects that
 * {@code kubectl kustomize deploy/} renders (so the chart and the plain manifests install the
 * same thing), and installs onto the real control plane, where the operator, running as the
 * chart's ServiceAccount with the chart's RBAC, programs a site.
 */
@ClusterTest
@Timeout(600)
class HelmChartTest {

    private static final String CHART = "deploy/helm/portico";
    private static final ObjectMapper YAML = new YAMLMapper();

    @TempDir
    Path root;

    @Test
    void theChartLintsAndRendersWhatDeployRenders(Testbed testbed) throws IOException {
        Testbed.Result lint = testbed.helm("lint", "--strict", CHART).requireSuccess();
        assertThat(lint.stdout()).contains("0 chart(s) failed");

        Map<String, JsonNode> chart = objects(testbed.helm("template", "portico", CHART, "--namespace",
                ShippedOperator.NAMESPACE, "--include-crds").requireSuccess().stdout());
        Map<String, JsonNode> deploy = objects(testbed.kubectl("kustomize", "deploy/").requireSuccess().stdout());
        // Helm installs into a namespace it is given (--create-namespace); it does not own it.
        deploy.remove("Namespace//" + ShippedOperator.NAMESPACE);

        assertThat(chart.keySet()).containsExactlyInAnyOrderElementsOf(deploy.keySet());
        // Numbers compared as numbers: kustomize writes the CRD's "minimum: 1.0" as 1.
        deploy.forEach((key, object) -> assertThat(numbersAsDoubles(chart.get(key))).as(key)
                .isEqualTo(numbersAsDoubles(object)));
        for (String crd : List.of("proxysites.portico.dev-v1.yml", "proxyclasses.portico.dev-v1.yml")) {
            assertThat(Files.readString(Testbed.repo().resolve(CHART + "/crds/" + crd)))
                    .as("the chart's CRD %s is deploy/crds'", crd)
                    .isEqualTo(Files.readString(Testbed.repo().resolve("deploy/crds/" + crd)));
        }
    }

    @Test
    void watchedNamespacesAreBoundByRoleBindingsOnly(Testbed testbed) throws IOException {
        Map<String, JsonNode> chart = objects(testbed.helm("template", "portico", CHART, "--namespace", "ops",
                "--set", "watchNamespaces={team-a,team-b}", "--set", "serviceMonitor.enabled=true").requireSuccess().stdout());

        assertThat(chart).doesNotContainKey("ClusterRoleBinding//portico-operator")
                .containsKeys("RoleBinding/team-a/portico-operator", "RoleBinding/team-b/portico-operator",
                        "ServiceMonitor/ops/portico-operator",
                        // ProxyClasses are cluster-scoped: read cluster-wide whatever is watched.
                        "ClusterRoleBinding//portico-operator-proxyclasses");
        JsonNode env = chart.get("Deployment/ops/portico-operator").at("/spec/template/spec/containers/0/env");
        assertThat(env.findValuesAsText("value")).contains("team-a,team-b");
        assertThat(chart.get("RoleBinding/team-a/portico-operator").at("/subjects/0/namespace").asText()).isEqualTo("ops");
    }

    @Test
    void makesTheDefaultProxyClassWhenAskedTo(Testbed testbed) throws IOException {
        assertThat(objects(testbed.helm("template", "portico", CHART).requireSuccess().stdout()).keySet())
                .noneMatch(key -> key.startsWith("ProxyClass/"));

        Map<String, JsonNode> chart = objects(testbed.helm("template", "portico", CHART,
                "--set", "defaultProxyClass.enabled=true",
                "--set", "defaultProxyClass.spec.podLabels.team=platform",
                "--set", "defaultProxyClass.spec.service.type=LoadBalancer").requireSuccess().stdout());

        JsonNode proxyClass = chart.get("ProxyClass//default");
        assertThat(proxyClass).isNotNull();
        assertThat(proxyClass.at("/metadata/annotations/portico.dev~1is-default-class").asText()).isEqualTo("true");
        assertThat(proxyClass.at("/spec/podLabels/team").asText()).isEqualTo("platform");
        assertThat(proxyClass.at("/spec/service/type").asText()).isEqualTo("LoadBalancer");
        assertThat(objects(testbed.helm("template", "portico", CHART, "--set", "defaultProxyClass.enabled=true")
                .requireSuccess().stdout()).get("ProxyClass//default").path("spec").isObject()).isTrue();
    }

    @Test
    void thePodMonitorScrapesTheMetricsPortOfThePodsTheOperatorDerives(Testbed testbed) throws IOException {
        Map<String, JsonNode> chart = objects(testbed.helm("template", "portico", CHART, "--namespace", "ops",
                "--set", "podMonitor.enabled=true", "--set", "proxyMetrics.namespaces={monitoring,prometheus}")
                .requireSuccess().stdout());

        JsonNode monitor = chart.get("PodMonitor/ops/portico-proxy");
        assertThat(monitor).as("PodMonitor/ops/portico-proxy in %s", chart.keySet()).isNotNull();
        assertThat(monitor.at("/spec/namespaceSelector/any").asBoolean()).isTrue();
        JsonNode endpoint = monitor.at("/spec/podMetricsEndpoints/0");
        assertThat(endpoint.path("path").asText()).isEqualTo("/metrics");
        assertThat(endpoint.path("scheme").asText()).isEqualTo("http");
        JsonNode env = chart.get("Deployment/ops/portico-operator").at("/spec/template/spec/containers/0/env");
        assertThat(env.findParents("name").stream()
                .filter(e -> e.path("name").asText().equals("PORTICO_METRICS_NAMESPACES"))
                .map(e -> e.path("value").asText())).containsExactly("monitoring,prometheus");

        // What it selects is what the operator derives (the golden file of a plain site): the pods' labels, a
        // container port of that name, and the runtime told to serve metrics there.
        Map<String, JsonNode> derived = objects(Files.readString(
                Testbed.repo().resolve("operator/src/test/resources/derived/plain/expected.yaml")));
        JsonNode pod = derived.values().stream().filter(o -> o.path("kind").asText().equals("Deployment"))
                .findFirst().orElseThrow().at("/spec/template");
        monitor.at("/spec/selector/matchLabels").properties().forEach(label -> assertThat(
                pod.at("/metadata/labels").path(label.getKey()).asText()).as(label.getKey())
                .isEqualTo(label.getValue().asText()));
        JsonNode container = pod.at("/spec/containers/0");
        JsonNode port = null;
        for (JsonNode p : container.path("ports")) {
            if (p.path("name").asText().equals(endpoint.path("port").asText())) {
                port = p;
            }
        }
        assertThat(port).as("a container port named %s", endpoint.path("port").asText()).isNotNull();
        List<String> args = new java.util.ArrayList<>();
        container.path("args").forEach(a -> args.add(a.asText()));
        assertThat(args.get(args.indexOf("--metrics-port") + 1)).isEqualTo(port.path("containerPort").asText());
        // The relabelling reads the instance label, the site's name.
        assertThat(pod.at("/metadata/labels/app.kubernetes.io~1instance").asText()).isNotEmpty();
    }

    @Test
    void installsAndTheOperatorServesWithTheChartsRbac(Testbed testbed) throws Exception {
        Install.ensure(testbed);
        KubernetesClient admin = testbed.admin();
        // The chart's objects have deploy/'s names: take deploy/'s install away (not the CRD,
        // which would take every ProxySite with it), and put it back after.
        Map<String, JsonNode> installed = objects(testbed.kubectl("kustomize", "deploy/").requireSuccess().stdout());
        for (String key : installed.keySet()) {
            String[] kind = key.split("/", 3);
            if (!kind[0].equals("Namespace") && !kind[0].equals("CustomResourceDefinition")) {
                List<String> command = new java.util.ArrayList<>(List.of("delete", kind[0], kind[2], "--ignore-not-found"));
                if (!kind[1].isEmpty()) {
                    command.addAll(List.of("-n", kind[1]));
                }
                testbed.kubectl(command.toArray(String[]::new)).requireSuccess();
            }
        }
        try {
            // The CRD stays kubectl's (Install): helm would take its fields over, a conflict.
            testbed.helm("install", "portico", CHART, "--namespace", ShippedOperator.NAMESPACE, "--skip-crds")
                    .requireSuccess();
            assertThat(testbed.helm("status", "portico", "--namespace", ShippedOperator.NAMESPACE).requireSuccess()
                    .stdout()).contains("STATUS: deployed");
            assertThat(admin.rbac().clusterRoles().withName("portico-operator").require().getMetadata().getLabels())
                    .containsEntry("app.kubernetes.io/managed-by", "Helm");

            String ns = "helm-site";
            admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
                    .serverSideApply();
            try (StandInPods standIns = new StandInPods();
                 TestbedKubelet kubelet = new TestbedKubelet(admin, root, DefaultAddressResolverGroup.INSTANCE,
                         pod -> true, standIns);
                 ShippedOperator operator = ShippedOperator.start(testbed)) {
                Sites.create(admin, ns, "charted");
                testbed.kubectl("wait", "--for=condition=Ready", "psite/charted", "-n", ns, "--timeout=120s")
                        .requireSuccess();
            } finally {
                admin.namespaces().withName(ns).delete();
            }
        } finally {
            testbed.helm("uninstall", "portico", "--namespace", ShippedOperator.NAMESPACE, "--wait");
            testbed.kubectl("apply", "--server-side", "--force-conflicts", "-k", "deploy/").requireSuccess();
            await().atMost(Duration.ofSeconds(30)).until(() -> admin.serviceAccounts()
                    .inNamespace(ShippedOperator.NAMESPACE).withName(ShippedOperator.SERVICE_ACCOUNT).get() != null);
        }
    }

    private static JsonNode numbersAsDoubles(JsonNode node) {
        if (node == null || node.isNumber()) {
            return node == null ? null : com.fasterxml.jackson.databind.node.DoubleNode.valueOf(node.doubleValue());
        }
        JsonNode copy = node.deepCopy();
        if (copy.isObject()) {
            copy.properties().forEach(e -> ((com.fasterxml.jackson.databind.node.ObjectNode) copy)
                    .set(e.getKey(), numbersAsDoubles(e.getValue())));
        } else if (copy.isArray()) {
            for (int i = 0; i < copy.size(); i++) {
                ((com.fasterxml.jackson.databind.node.ArrayNode) copy).set(i, numbersAsDoubles(copy.get(i)));
            }
        }
        return copy;
    }

    /** Kind/namespace/name to the object, of a multi-document YAML stream. */
    private static Map<String, JsonNode> objects(String yaml) throws IOException {
        Map<String, JsonNode> objects = new TreeMap<>();
        try (var parser = new YAMLFactory().createParser(yaml)) {
            for (JsonNode object : YAML.readValues(parser, JsonNode.class).readAll()) {
                if (object == null || object.isNull() || object.isMissingNode() || object.isEmpty()) {
                    continue;
                }
                objects.put(object.path("kind").asText() + "/" + object.at("/metadata/namespace").asText("") + "/"
                        + object.at("/metadata/name").asText(), object);
            }
        }
        return objects;
    }
}
