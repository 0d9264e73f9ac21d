package dev.portico.operator.e2e;

import dev.portico.runtime.ProxyRuntime;
import dev.portico.runtime.RuntimeOptions;
import dev.portico.runtime.testing.ServiceDirectory;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentConditionBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Plays the kubelet and the Deployment controller for the proxy Deployments the operator
 * makes: each "pod" is a real proxy runtime started in-process from the Deployment's own
 * container arguments, with its Secret volumes written out as the kubelet would mount them
 * (items and all), on loopback ports. The pods are then registered with the API server as
 * ready, with the admin port they really listen on, so the operator pushes to them.
 */
final class KubeletStandIn implements AutoCloseable {

    /** A proxy pod: its runtime and the Deployment it was started from. */
    record RunningPod(String name, ProxyRuntime runtime, Deployment from) {

        String namespace() {
            return from.getMetadata().getNamespace();
        }

        int httpsPort() {
            return runtime.httpsPort();
        }

        int httpPort() {
            return runtime.httpPort();
        }
    }

    private final KubernetesClient client;
    private final Path root;
    private final ServiceDirectory services;
    private final List<RunningPod> pods = new ArrayList<>();

    KubeletStandIn(KubernetesClient client, Path root, ServiceDirectory services) {
        this.client = client;
        this.root = root;
        this.services = services;
    }

    /** Starts {@code count} pods of the Deployment, reports them ready, and the Deployment available. */
    List<RunningPod> startPods(String namespace, String deploymentName, int count) {
        Deployment deployment = client.apps().deployments().inNamespace(namespace).withName(deploymentName).require();
        List<RunningPod> started = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            started.add(startPod(deployment, deploymentName + "-" + (pods.size() + started.size())));
        }
        pods.addAll(started);
        reportAvailable(deployment, (int) pods.stream().filter(p -> p.from().getMetadata().getName().equals(deploymentName)
                && p.namespace().equals(namespace)).count());
        return started;
    }

    private RunningPod startPod(Deployment deployment, String name) {
        Path podRoot = root.resolve(name);
        var spec = deployment.getSpec().getTemplate().getSpec();
        Container container = spec.getContainers().get(0);
        String namespace = deployment.getMetadata().getNamespace();
        mountVolumes(namespace, spec.getVolumes(), container.getVolumeMounts(), podRoot);
        List<String> args = new ArrayList<>();
        for (int i = 0; i < container.getArgs().size(); i++) {
            String arg = container.getArgs().get(i);
            args.add(arg);
            if (i + 1 < container.getArgs().size()) {
                String value = container.getArgs().get(i + 1);
                switch (arg) {
                    case "--http-port", "--https-port", "--admin-port" -> value = "0";
                    case "--bind", "--admin-bind" -> value = "127.0.0.1";
                    default -> value = value.startsWith("/") ? podRoot.resolve(value.substring(1)).toString() : value;
                }
                args.add(value);
                i++;
            }
        }
        args.add("--workers");
        args.add("1");
        RuntimeOptions options = RuntimeOptions.fromArgs(args);
        ProxyRuntime runtime;
        try {
            runtime = ProxyRuntime.start(options, services);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        client.pods().inNamespace(namespace).resource(pod(deployment, name, container, runtime.adminPort())).create();
        return new RunningPod(name, runtime, deployment);
    }

    /**
     * Registers a ready pod of the Deployment whose admin port is {@code adminPort}, with no
     * runtime behind it here (something else answers on that port).
     */
    void registerPod(String namespace, String deploymentName, String podName, int adminPort) {
        Deployment deployment = client.apps().deployments().inNamespace(namespace).withName(deploymentName).require();
        Container container = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
        client.pods().inNamespace(namespace).resource(pod(deployment, podName, container, adminPort)).create();
    }

    private static Pod pod(Deployment deployment, String name, Container template, int adminPort) {
        List<ContainerPort> ports = template.getPorts().stream()
                .map(p -> "admin".equals(p.getName())
                        ? new ContainerPortBuilder(p).withContainerPort(adminPort).build() : p)
                .toList();
        return new PodBuilder()
                .withNewMetadata()
                    .withName(name)
                    .withNamespace(deployment.getMetadata().getNamespace())
                    .withUid(UUID.randomUUID().toString())
                    .withLabels(deployment.getSpec().getTemplate().getMetadata().getLabels())
                .endMetadata()
                .withNewSpec()
                    .addNewContainer().withName(template.getName()).withImage(template.getImage()).withPorts(ports).endContainer()
                .endSpec()
                .withNewStatus()
                    .withPhase("Running")
                    .withPodIP("127.0.0.1")
                    .withConditions(new PodConditionBuilder().withType("Ready").withStatus("True").build())
                    .withContainerStatuses(new ContainerStatusBuilder().withName(template.getName()).withReady(true)
                            .withRestartCount(0).build())
                .endStatus()
                .build();
    }

    private void reportAvailable(Deployment deployment, int ready) {
        String namespace = deployment.getMetadata().getNamespace();
        Deployment current = client.apps().deployments().inNamespace(namespace)
                .withName(deployment.getMetadata().getName()).require();
        current.setStatus(new DeploymentStatusBuilder()
                .withObservedGeneration(current.getMetadata().getGeneration() == null ? 1L : current.getMetadata().getGeneration())
                .withReplicas(ready).withUpdatedReplicas(ready).withReadyReplicas(ready).withAvailableReplicas(ready)
                .withConditions(new DeploymentConditionBuilder().withType("Available").withStatus("True").build())
                .build());
        client.apps().deployments().inNamespace(namespace).resource(current).updateStatus();
    }

    private void mountVolumes(String namespace, List<Volume> volumes, List<VolumeMount> mounts, Path podRoot) {
        for (VolumeMount mount : mounts) {
            Volume volume = volumes.stream().filter(v -> v.getName().equals(mount.getName())).findFirst().orElseThrow();
            Path dir = podRoot.resolve(mount.getMountPath().substring(1));
            try {
                Files.createDirectories(dir);
                if (volume.getSecret() == null) {
                    continue; // emptyDir
                }
                Secret secret = client.secrets().inNamespace(namespace).withName(volume.getSecret().getSecretName()).require();
                Map<String, String> data = secret.getData();
                List<KeyToPath> items = volume.getSecret().getItems();
                if (items == null || items.isEmpty()) {
                    items = data.keySet().stream().map(key -> new KeyToPath(key, null, key)).toList();
                }
                for (KeyToPath item : items) {
                    Path file = dir.resolve(item.getPath());
                    Files.createDirectories(file.getParent());
                    Path temp = Files.createTempFile(file.getParent(), ".sync", "");
                    Files.write(temp, Base64.getDecoder().decode(data.get(item.getKey())));
                    // Atomic, as the kubelet's symlink swap is: a reader sees the old file or the new one.
                    Files.move(temp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                            java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    @Override
    public void close() {
        for (RunningPod pod : pods) {
            pod.runtime().shutdown(Duration.ZERO);
        }
        pods.clear();
    }
}
