package dev.portico.operator.reconciler;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditionsBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import java.util.List;
import java.util.Map;

/**
 * What the operator's caches keep of an object, as pure functions an informer's store applies
 * to every object it receives ({@link InformerStores}).
 *
 * <p>Most of a cached object's weight is bookkeeping the operator never reads: server-side
 * apply's {@code managedFields}, which fabric8 holds as a tree of maps (a Deployment's tree is
 * as large as the Deployment), and kubectl's last-applied annotation, a second copy of the
 * object. Of the managed fields, only the entry of an {@code Apply} to the object itself is
 * kept: it is what JOSDK's server-side-apply matcher compares the desired state against
 * (other managers' entries, such as the controller manager's status writes, are never read).
 */
public final class CachedState {

    static final String LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";
    static final String APPLY = "Apply";

    private CachedState() {}

    /** {@code object} without other managers' fields and kubectl's copy of itself; changed in place. */
    public static <R extends HasMetadata> R withoutBookkeeping(R object) {
        ObjectMeta metadata = object.getMetadata();
        List<ManagedFieldsEntry> managed = metadata.getManagedFields();
        if (managed != null && !managed.isEmpty()) {
            List<ManagedFieldsEntry> applied = managed.stream().filter(CachedState::isApplyToObject).toList();
            metadata.setManagedFields(applied.isEmpty() ? null : applied);
        }
        Map<String, String> annotations = metadata.getAnnotations();
        if (annotations != null) {
            annotations.remove(LAST_APPLIED);
        }
        return object;
    }

    private static boolean isApplyToObject(ManagedFieldsEntry entry) {
        return APPLY.equals(entry.getOperation()) && (entry.getSubresource() == null || entry.getSubresource().isEmpty());
    }

    /**
     * The part of a proxy pod the operator reads ({@code ProxyPod}, the pod informer's mapper):
     * identity, labels and deletion; the containers' names and ports; the address, conditions
     * and restart counts. A field read from a cached pod must be added here (ProxyPodTest holds
     * {@code ProxyPod.ifReady} to the same answer on the whole pod and on this).
     */
    public static Pod podEssentials(Pod pod) {
        ObjectMeta metadata = pod.getMetadata();
        PodBuilder essentials = new PodBuilder()
                .withMetadata(new ObjectMetaBuilder()
                        .withName(metadata.getName())
                        .withNamespace(metadata.getNamespace())
                        .withUid(metadata.getUid())
                        .withResourceVersion(metadata.getResourceVersion())
                        .withLabels(metadata.getLabels())
                        .withOwnerReferences(metadata.getOwnerReferences())
                        .withDeletionTimestamp(metadata.getDeletionTimestamp())
                        .build());
        if (pod.getSpec() != null && pod.getSpec().getContainers() != null) {
            essentials.withNewSpec()
                    .withContainers(pod.getSpec().getContainers().stream().map(CachedState::containerPorts).toList())
                    .endSpec();
        }
        if (pod.getStatus() != null) {
            essentials.withNewStatus()
                    .withPodIP(pod.getStatus().getPodIP())
                    .withConditions(pod.getStatus().getConditions() == null ? null
                            : pod.getStatus().getConditions().stream().map(CachedState::condition).toList())
                    .withContainerStatuses(pod.getStatus().getContainerStatuses() == null ? null
                            : pod.getStatus().getContainerStatuses().stream().map(CachedState::restarts).toList())
                    .endStatus();
        }
        return essentials.build();
    }

    /**
     * The part of an EndpointSlice the operator reads ({@link ServiceEndpoints}): the Service it
     * belongs to (its label, also what the informer's index reads, so that an index entry is
     * removed with the object), the address type, each endpoint's addresses and conditions,
     * and the ports' names, numbers and protocols. Topology, hints, node names and target
     * references, most of a slice's weight, are dropped.
     */
    public static EndpointSlice endpointSliceEssentials(EndpointSlice slice) {
        ObjectMeta metadata = slice.getMetadata();
        String service = metadata.getLabels() == null ? null : metadata.getLabels().get(ServiceEndpoints.SERVICE_NAME_LABEL);
        return new EndpointSliceBuilder()
                .withMetadata(new ObjectMetaBuilder()
                        .withName(metadata.getName())
                        .withNamespace(metadata.getNamespace())
                        .withResourceVersion(metadata.getResourceVersion())
                        .withLabels(service == null ? null : Map.of(ServiceEndpoints.SERVICE_NAME_LABEL, service))
                        .build())
                .withAddressType(slice.getAddressType())
                .withEndpoints(slice.getEndpoints() == null ? null
                        : slice.getEndpoints().stream().map(CachedState::endpoint).toList())
                .withPorts(slice.getPorts() == null ? null : slice.getPorts().stream().map(CachedState::port).toList())
                .build();
    }

    private static Endpoint endpoint(Endpoint endpoint) {
        EndpointConditions conditions = endpoint.getConditions();
        return new EndpointBuilder()
                .withAddresses(endpoint.getAddresses())
                .withConditions(conditions == null ? null : new EndpointConditionsBuilder()
                        .withReady(conditions.getReady())
                        .withServing(conditions.getServing())
                        .withTerminating(conditions.getTerminating())
                        .build())
                .build();
    }

    private static EndpointPort port(EndpointPort port) {
        return new EndpointPortBuilder().withName(port.getName()).withPort(port.getPort()).withProtocol(port.getProtocol())
                .build();
    }

    private static Container containerPorts(Container container) {
        return new ContainerBuilder().withName(container.getName()).withPorts(container.getPorts()).build();
    }

    private static PodCondition condition(PodCondition condition) {
        return new PodConditionBuilder().withType(condition.getType()).withStatus(condition.getStatus()).build();
    }

    private static ContainerStatus restarts(ContainerStatus status) {
        return new ContainerStatusBuilder()
                .withName(status.getName())
                .withReady(status.getReady())
                .withRestartCount(status.getRestartCount())
                .build();
    }
}
