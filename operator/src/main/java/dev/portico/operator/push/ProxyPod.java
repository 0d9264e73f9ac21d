package dev.portico.operator.push;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import java.util.List;
import java.util.Optional;

/**
 * A proxy pod the operator can push to: ready, with an IP, and the admin port its container
 * declares. {@code incarnation} changes when the pod or its container restarts, so what the
 * operator knew about a previous process is not trusted for the new one.
 *
 * @param adminName the DNS name the pod's admin certificate must carry: its site's Service
 */
public record ProxyPod(String name, String incarnation, String ip, int adminPort, String adminName) {

    static final String ADMIN_PORT_NAME = "admin";

    /** The pod, if it is ready to take traffic and pushes; empty while starting, terminating or unready. */
    public static Optional<ProxyPod> ifReady(Pod pod, String adminName) {
        if (pod.getMetadata().getDeletionTimestamp() != null || pod.getStatus() == null
                || pod.getStatus().getPodIP() == null || !isReady(pod.getStatus().getConditions())) {
            return Optional.empty();
        }
        return adminPort(pod).map(port -> new ProxyPod(pod.getMetadata().getName(), incarnation(pod),
                pod.getStatus().getPodIP(), port, adminName));
    }

    private static boolean isReady(List<PodCondition> conditions) {
        return conditions != null && conditions.stream()
                .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    private static Optional<Integer> adminPort(Pod pod) {
        if (pod.getSpec() == null || pod.getSpec().getContainers() == null) {
            return Optional.empty();
        }
        return pod.getSpec().getContainers().stream()
                .map(Container::getPorts)
                .filter(ports -> ports != null)
                .flatMap(List::stream)
                .filter(port -> ADMIN_PORT_NAME.equals(port.getName()))
                .map(ContainerPort::getContainerPort)
                .findFirst();
    }

    private static String incarnation(Pod pod) {
        int restarts = pod.getStatus().getContainerStatuses() == null ? 0 : pod.getStatus().getContainerStatuses().stream()
                .mapToInt(s -> s.getRestartCount() == null ? 0 : s.getRestartCount())
                .sum();
        return pod.getMetadata().getUid() + "/" + restarts;
    }
}
