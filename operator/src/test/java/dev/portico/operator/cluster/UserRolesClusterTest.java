package dev.portico.operator.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.portico.operator.api.ProxySiteResource;
import dev.portico.operator.testbed.ClusterTest;
import dev.portico.operator.testbed.Install;
import dev.portico.operator.testbed.Sites;
import dev.portico.operator.testbed.Testbed;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * deploy/operator/user-roles.yaml on the real API server: the controller manager aggregates
 * portico-edit and portico-view into Kubernetes' own roles, so a namespace's editors manage
 * its ProxySites with the "edit" they already hold, viewers read them, and neither can write
 * a status (the operator's alone) or reach another namespace.
 */
@ClusterTest
@Timeout(120)
class UserRolesClusterTest {

    private static final String NAMESPACE = "user-roles";

    private static Testbed cluster;

    @Test
    void editorsManageProxySitesAndViewersReadThem(Testbed testbed) {
        cluster = testbed;
        Install.ensure(testbed);
        KubernetesClient admin = testbed.admin();
        admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build())
                .serverSideApply();
        await().atMost(Duration.ofSeconds(30)).until(() -> aggregated(admin, "edit") && aggregated(admin, "view"));
        try (KubernetesClient editor = account(testbed, "editor", "edit");
             KubernetesClient viewer = account(testbed, "viewer", "view")) {
            var sites = editor.resources(ProxySiteResource.class).inNamespace(NAMESPACE);
            sites.resource(Sites.minimal(NAMESPACE, "vera")).create();
            sites.withName("vera").edit(s -> {
                s.getMetadata().setLabels(Map.of("team", "vera"));
                return s;
            });
            assertThat(viewer.resources(ProxySiteResource.class).inNamespace(NAMESPACE).list().getItems())
                    .extracting(s -> s.getMetadata().getLabels()).containsExactly(Map.of("team", "vera"));

            assertForbidden(() -> viewer.resources(ProxySiteResource.class).inNamespace(NAMESPACE)
                    .resource(Sites.minimal(NAMESPACE, "other")).create());
            assertForbidden(() -> sites.withName("vera").subresource("status")
                    .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"status\":{\"url\":\"https://forged.example\"}}"));
            assertForbidden(() -> editor.resources(ProxySiteResource.class).inNamespace("default").list());

            sites.withName("vera").delete();
            await().atMost(Duration.ofSeconds(10)).until(() -> sites.withName("vera").get() == null);
        }
    }

    @AfterAll
    static void removeNamespace() {
        if (cluster != null) {
            cluster.admin().namespaces().withName(NAMESPACE).delete();
        }
    }

    /** The built-in role now grants ProxySites: kube-controller-manager aggregated ours into it. */
    private static boolean aggregated(KubernetesClient admin, String role) {
        ClusterRole clusterRole = admin.rbac().clusterRoles().withName(role).get();
        return clusterRole.getRules().stream().anyMatch(r -> r.getApiGroups().contains("portico.dev"));
    }

    /** A ServiceAccount of the namespace with one built-in role there, as a namespace's user would have. */
    private static KubernetesClient account(Testbed testbed, String name, String role) {
        KubernetesClient admin = testbed.admin();
        admin.serviceAccounts().inNamespace(NAMESPACE)
                .resource(new ServiceAccountBuilder().withNewMetadata().withName(name).endMetadata().build())
                .serverSideApply();
        admin.rbac().roleBindings().inNamespace(NAMESPACE).resource(new RoleBindingBuilder()
                .withNewMetadata().withName(name).endMetadata()
                .withNewRoleRef().withApiGroup("rbac.authorization.k8s.io").withKind("ClusterRole").withName(role)
                .endRoleRef()
                .addNewSubject().withKind("ServiceAccount").withName(name).withNamespace(NAMESPACE).endSubject()
                .build()).serverSideApply();
        return testbed.serviceAccountClient(NAMESPACE, name);
    }

    private static void assertForbidden(Runnable call) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(KubernetesClientException.class,
                e -> assertThat(e.getCode()).isEqualTo(403));
    }
}
