package dev.portico.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.crds.v1alpha1.ProxySiteSpec;
import dev.portico.operator.api.ProxySiteResource;
import dev.portico.operator.push.ProxyPod;
import dev.portico.operator.proxyclass.PodSettings;
import io.fabric8.kubernetes.api.model.FieldsV1;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntryBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CachedStateTest {

    private static final String SITE = """
            apiVersion: portico.dev/v1alpha1
            kind: ProxySite
            metadata: {name: vera, namespace: aidoo}
            spec:
              hosts: ["vera.example.com"]
              replicas: 2
              routes:
                - match: {path: {value: /}}
                  backend: {service: vera-frontend, port: 3000}
            """;
    private static final String ADMIN_NAME = "vera-proxy.aidoo.svc";

    @Test
    void keepsOnlyTheEntryOfAnApplyToTheObjectItself() {
        Deployment deployment = deployment();
        deployment.getMetadata().setManagedFields(List.of(
                entry("proxysite", "Apply", null),
                entry("kube-controller-manager", "Update", "status"),
                entry("kubectl-edit", "Update", null),
                entry("kubectl", "Apply", "scale")));
        deployment.getMetadata().getAnnotations().put(CachedState.LAST_APPLIED, Serialization.asJson(deployment));

        Deployment cached = CachedState.withoutBookkeeping(deployment);

        assertThat(cached.getMetadata().getManagedFields()).extracting(ManagedFieldsEntry::getManager)
                .containsExactly("proxysite");
        assertThat(cached.getMetadata().getAnnotations()).doesNotContainKey(CachedState.LAST_APPLIED)
                .isEqualTo(deployment().getMetadata().getAnnotations());
        assertThat(cached.getSpec()).isEqualTo(deployment().getSpec());
    }

    @Test
    void anObjectNobodyAppliedKeepsNoManagedFields() {
        Deployment deployment = deployment();
        deployment.getMetadata().setManagedFields(List.of(entry("kube-controller-manager", "Update", "status")));
        deployment.getMetadata().setAnnotations(null);

        assertThat(CachedState.withoutBookkeeping(deployment).getMetadata().getManagedFields()).isNull();
    }

    @Test
    void aPodKeepsWhatTheOperatorReadsOfIt() {
        Pod ready = pod("10.0.0.7", "True", 0, false);
        Pod unready = pod("10.0.0.8", "False", 0, false);
        Pod restarted = pod("10.0.0.9", "True", 3, false);
        Pod terminating = pod("10.0.0.10", "True", 0, true);
        Pod starting = new PodBuilder(pod(null, "False", 0, false)).editStatus().withConditions().endStatus().build();

        for (Pod pod : List.of(ready, unready, restarted, terminating, starting)) {
            Pod cached = CachedState.podEssentials(pod);
            assertThat(ProxyPod.ifReady(cached, ADMIN_NAME)).isEqualTo(ProxyPod.ifReady(pod, ADMIN_NAME));
            assertThat(cached.getMetadata().getLabels()).isEqualTo(pod.getMetadata().getLabels());
            assertThat(cached.getMetadata().getResourceVersion()).isEqualTo(pod.getMetadata().getResourceVersion());
        }
        assertThat(ProxyPod.ifReady(CachedState.podEssentials(ready), ADMIN_NAME)).map(ProxyPod::adminPort)
                .contains(DerivedResources.ADMIN_PORT);
        assertThat(ProxyPod.ifReady(CachedState.podEssentials(restarted), ADMIN_NAME)).map(ProxyPod::incarnation)
                .contains("uid-10.0.0.9/3");
        assertThat(Serialization.asJson(CachedState.podEssentials(ready)).length())
                .as("the cached pod against the whole pod")
                .isLessThan(Serialization.asJson(ready).length() / 4);
    }

    @Test
    void aPodWithoutSpecOrStatusStaysSo() {
        Pod bare = new PodBuilder().withMetadata(new ObjectMetaBuilder().withName("p").withNamespace("n").build()).build();

        Pod cached = CachedState.podEssentials(bare);

        assertThat(cached.getSpec()).isNull();
        assertThat(cached.getStatus()).isNull();
        assertThat(ProxyPod.ifReady(cached, ADMIN_NAME)).isEmpty();
    }

    private static Deployment deployment() {
        ProxySiteResource site = DerivedResourcesTest.site(SITE);
        ProxySiteSpec spec = DerivedResourcesTest.normalised(SITE);
        return DerivedResources.deployment(site, spec, PodSettings.defaults("portico/proxy:1"));
    }

    /** A pod of the site's Deployment as a kubelet reports it: the template, with everything the API server and kubelet add. */
    private static Pod pod(String ip, String ready, int restarts, boolean terminating) {
        Deployment deployment = deployment();
        return new PodBuilder()
                .withMetadata(new ObjectMetaBuilder(deployment.getSpec().getTemplate().getMetadata())
                        .withName("vera-proxy-" + ip).withNamespace("aidoo").withUid("uid-" + ip)
                        .withResourceVersion("42")
                        .withDeletionTimestamp(terminating ? "2026-12-02T10:00:00Z" : null)
                        .withManagedFields(entry("kube-controller-manager", "Update", null), entry("kubelet", "Update", "status"))
                        .build())
                .withSpec(deployment.getSpec().getTemplate().getSpec())
                .editSpec().withNodeName("node-1").withServiceAccountName("vera-proxy").endSpec()
                .withNewStatus()
                    .withPhase("Running").withPodIP(ip).withHostIP("192.168.0.1")
                    .addNewCondition().withType("PodScheduled").withStatus("True").withLastTransitionTime("2026-12-02T09:00:00Z").endCondition()
                    .addNewCondition().withType("Ready").withStatus(ready).withLastTransitionTime("2026-12-02T09:00:01Z").endCondition()
                    .addNewContainerStatus().withName("proxy").withImage("portico/proxy:1")
                        .withImageID("sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
                        .withReady("True".equals(ready)).withRestartCount(restarts).withStarted(true)
                        .withNewState().withNewRunning().withStartedAt("2026-12-02T09:00:00Z").endRunning().endState()
                    .endContainerStatus()
                .endStatus()
                .build();
    }

    private static ManagedFieldsEntry entry(String manager, String operation, String subresource) {
        FieldsV1 fields = new FieldsV1();
        fields.setAdditionalProperty("f:metadata", Map.of("f:labels", Map.of("f:app", Map.of())));
        return new ManagedFieldsEntryBuilder().withManager(manager).withOperation(operation)
                .withSubresource(subresource).withApiVersion("apps/v1").withFieldsType("FieldsV1")
                .withFieldsV1(fields).build();
    }
}
