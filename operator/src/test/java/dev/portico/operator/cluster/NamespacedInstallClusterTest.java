package dev.portico.operator.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portico.operator.api.ProxySiteResource;
import dev.portico.operator.testbed.ClusterTest;
import dev.portico.operator.testbed.Install;
import dev.portico.operator.testbed.ShippedOperator;
import dev.portico.operator.testbed.Sites;
import dev.portico.operator.testbed.StandInPods;
import dev.portico.operator.testbed.Testbed;
import dev.portico.operator.testbed.TestbedKubelet;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.netty.resolver.DefaultAddressResolverGroup;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/namespaced/: the operator installed into one namespace by that namespace's admin,
 * with a Role instead of the ClusterRole. Rendered by kubectl's kustomize, applied, and run
 * as that namespace's ServiceAccount: it serves the sites of its namespace and no other, and
 * no informer of it needs a right outside that namespace.
 */
@ClusterTest
@Timeout(240)
class NamespacedInstallClusterTest {

    private static final String NAMESPACE = "portico-apps";
    private static final String ACCOUNT = "system:serviceaccount:" + NAMESPACE + ":portico-operator";

    @TempDir
    Path root;

    @Test
    void servesItsOwnNamespaceWithARoleOnly(Testbed testbed) throws Exception {
        Install.ensure(testbed); // the CRD, which a cluster admin installs once
        KubernetesClient admin = testbed.admin();
        String rendered = testbed.kubectl("kustomize", Testbed.repo().resolve("deploy/namespaced").toString())
                .requireSuccess().stdout();
        List<HasMetadata> objects = admin.load(new ByteArrayInputStream(rendered.getBytes(StandardCharsets.UTF_8))).items();
        assertThat(objects).extracting(HasMetadata::getKind).doesNotContain("ClusterRole", "ClusterRoleBinding",
                "Namespace", "CustomResourceDefinition");
        assertThat(objects).allSatisfy(o -> assertThat(o.getMetadata().getNamespace()).as(o.getKind()).isEqualTo(NAMESPACE));
        assertThat(objects).filteredOn(RoleBinding.class::isInstance).map(RoleBinding.class::cast)
                .allSatisfy(b -> assertThat(b.getSubjects()).singleElement()
                        .satisfies(s -> assertThat(s.getNamespace()).isEqualTo(NAMESPACE)));
        Deployment deployment = objects.stream().filter(Deployment.class::isInstance).map(Deployment.class::cast)
                .findFirst().orElseThrow();
        assertThat(deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv())
                .anySatisfy(e -> {
                    assertThat(e.getName()).isEqualTo("PORTICO_WATCH_NAMESPACES");
                    assertThat(e.getValue()).isEqualTo(NAMESPACE);
                })
                .anySatisfy(e -> {
                    // Cluster-scoped: a Role cannot grant them.
                    assertThat(e.getName()).isEqualTo("PORTICO_PROXY_CLASSES");
                    assertThat(e.getValue()).isEqualTo("false");
                });

        namespace(admin, NAMESPACE);
        namespace(admin, "elsewhere");
        testbed.kubectl("apply", "--server-side", "-k", Testbed.repo().resolve("deploy/namespaced").toString())
                .requireSuccess();
        assertThat(canI(testbed, "list", "secrets", "--all-namespaces")).isFalse();
        assertThat(canI(testbed, "list", "secrets", "-n", "elsewhere")).isFalse();
        assertThat(canI(testbed, "list", "secrets", "-n", NAMESPACE)).isTrue();

        try (StandInPods standIns = new StandInPods();
             TestbedKubelet kubelet = new TestbedKubelet(admin, root, DefaultAddressResolverGroup.INSTANCE,
                     pod -> true, standIns);
             ShippedOperator operator = ShippedOperator.startNamespaced(testbed, NAMESPACE, plainValues(deployment))) {
            Sites.create(admin, NAMESPACE, "mine");
            Sites.create(admin, "elsewhere", "theirs");
            await().atMost(Duration.ofSeconds(90)).until(() -> programmed(admin, NAMESPACE, "mine"));
            assertThat(admin.apps().deployments().inNamespace(NAMESPACE).withName("mine-proxy").get()).isNotNull();
            // Long enough for a site it served to have a status by now.
            Thread.sleep(3_000);
            assertThat(admin.resources(ProxySiteResource.class).inNamespace("elsewhere").withName("theirs").get()
                    .getStatus()).isNull();
            assertThat(admin.apps().deployments().inNamespace("elsewhere").list().getItems()).isEmpty();

            // Without cluster-wide rights there are no ProxyClasses: a site naming one says why.
            ProxySiteResource classy = Sites.minimal(NAMESPACE, "classy");
            classy.setSpec(classy.getSpec().withProxyClassName("edge"));
            admin.resources(ProxySiteResource.class).inNamespace(NAMESPACE).resource(classy).create();
            ProxySiteResource refused = await().atMost(Duration.ofSeconds(30)).until(
                    () -> admin.resources(ProxySiteResource.class).inNamespace(NAMESPACE).withName("classy").get(),
                    s -> s.getStatus() != null && s.getStatus().conditions().stream()
                            .anyMatch(c -> c.type().equals("ResolvedRefs") && c.status().equals("False")));
            assertThat(refused.getStatus().conditions()).filteredOn(c -> c.type().equals("ResolvedRefs")).singleElement()
                    .satisfies(c -> {
                        assertThat(c.reason()).isEqualTo("ProxyClassesDisabled");
                        assertThat(c.message()).contains("spec.proxyClassName", "PORTICO_PROXY_CLASSES=false");
                    });
        } finally {
            admin.namespaces().withName(NAMESPACE).delete();
            admin.namespaces().withName("elsewhere").delete();
        }
    }

    private static void namespace(KubernetesClient admin, String name) {
        admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
                .serverSideApply();
    }

    private static boolean programmed(KubernetesClient admin, String namespace, String name) {
        ProxySiteResource site = admin.resources(ProxySiteResource.class).inNamespace(namespace).withName(name).get();
        return site != null && site.getStatus() != null && site.getStatus().conditions().stream()
                .anyMatch(c -> c.type().equals("Programmed") && c.status().equals("True"));
    }

    private static boolean canI(Testbed testbed, String verb, String resource, String... where) {
        String[] args = new String[5 + where.length];
        args[0] = "auth";
        args[1] = "can-i";
        args[2] = verb;
        args[3] = resource;
        args[4] = "--as=" + ACCOUNT;
        System.arraycopy(where, 0, args, 5, where.length);
        return testbed.kubectl(args).stdout().trim().equals("yes");
    }

    private static java.util.Map<String, String> plainValues(Deployment deployment) {
        java.util.Map<String, String> env = new java.util.HashMap<>();
        deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().stream()
                .filter(e -> e.getValue() != null)
                .forEach(e -> env.put(e.getName(), e.getValue()));
        return env;
    }
}
