package dev.portico.operator.testbed;

import dev.portico.runtime.ProxyRuntime;
import dev.portico.runtime.RuntimeOptions;
import io.fabric8.kubernetes.api.model.BindingBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.netty.resolver.AddressResolverGroup;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Plays the kubelet of one node for the proxy Pods that the real ReplicaSet controller
 * creates: binds each Pod to the node, mounts its Secret volumes into a directory of its
 * own, runs the proxy runtime in-process from the Pod's own container arguments on a
 * loopback address of its own (127.1.x.y, so every pod listens on the ports its spec
 * declares), and writes the Pod's status (podIP, Ready, container state) as a kubelet does.
 * A Pod being deleted goes unready, sleeps its preStop pause (capped), drains, and is
 * removed for good, as the kubelet's final delete does.
 *
 * <p>There is no CNI: 127.1.x.y is reachable from this machine only, which is all the
 * operator's pushes and the tests' clients need.
 */
public final class TestbedKubelet implements AutoCloseable {

    public static final String NODE = "testbed-node";
    private static final Logger LOG = LoggerFactory.getLogger(TestbedKubelet.class);
    private static final String SELECTOR = "app.kubernetes.io/managed-by=portico";
    /** The preStop sleep, scaled down: tests need the order (unready, pause, drain), not the wall time. */
    private static final Duration MAX_PRE_STOP = Duration.ofSeconds(1);
    private static final AtomicInteger NEXT_ADDRESS = new AtomicInteger(1);

    /**
     * A proxy pod this kubelet runs: a proxy runtime, or for a pod the kubelet was told to run
     * light, only a stand-in admin port ({@link StandInPods}; {@code runtime} is null).
     */
    public record RunningPod(String namespace, String name, String uid, String ip, ProxyRuntime runtime,
                             AutoCloseable standIn, int restarts) {

        public boolean ready() {
            return runtime == null || runtime.ready();
        }

        void stop(Duration drain) {
            if (runtime != null) {
                runtime.shutdown(drain);
            } else {
                try {
                    standIn.close();
                } catch (Exception e) {
                    LOG.debug("Closing a stand-in pod: {}", e.toString());
                }
            }
        }
    }

    private final KubernetesClient client;
    private final Path root;
    private final AddressResolverGroup<? extends SocketAddress> services;
    private final Map<String, RunningPod> running = new ConcurrentHashMap<>();
    /** Pod uid to its start or stop task, so one pod never has two at once. */
    private final Map<String, Boolean> busy = new ConcurrentHashMap<>();
    private final ExecutorService work = Executors.newFixedThreadPool(4, runnable -> {
        Thread thread = new Thread(runnable, "testbed-kubelet");
        thread.setDaemon(true);
        return thread;
    });
    private final SharedIndexInformer<Pod> informer;
    private final Predicate<Pod> light;
    private final StandInPods standIns;

    /**
     * @param services how the runtimes resolve backend Services (there is no cluster DNS here)
     */
    public TestbedKubelet(KubernetesClient client, Path root, AddressResolverGroup<? extends SocketAddress> services) {
        this(client, root, services, pod -> false, null);
    }

    /**
     * @param light the pods that get only a stand-in admin port from {@code standIns}, for
     *     benchmarks with more sites than real runtimes would fit in memory
     */
    public TestbedKubelet(KubernetesClient client, Path root, AddressResolverGroup<? extends SocketAddress> services,
                          Predicate<Pod> light, StandInPods standIns) {
        this.client = client;
        this.root = root;
        this.services = services;
        this.light = light;
        this.standIns = standIns;
        this.informer = client.pods().inAnyNamespace().withLabel(SELECTOR.split("=")[0], SELECTOR.split("=")[1])
                .inform(new ResourceEventHandler<>() {
                    @Override
                    public void onAdd(Pod pod) {
                        changed(pod);
                    }

                    @Override
                    public void onUpdate(Pod before, Pod pod) {
                        changed(pod);
                    }

                    @Override
                    public void onDelete(Pod pod, boolean unknownFinalState) {
                        RunningPod gone = running.remove(pod.getMetadata().getUid());
                        if (gone != null) {
                            work.execute(() -> gone.stop(Duration.ZERO));
                        }
                    }
                });
    }

    /** The pods running now. */
    public Collection<RunningPod> pods() {
        return List.copyOf(running.values());
    }

    /** The running pods of a Deployment's selector label {@code app.kubernetes.io/instance=site}. */
    public List<RunningPod> podsOf(String namespace, String site) {
        List<RunningPod> pods = new ArrayList<>();
        for (Pod pod : informer.getStore().list()) {
            if (namespace.equals(pod.getMetadata().getNamespace())
                    && site.equals(pod.getMetadata().getLabels().get("app.kubernetes.io/instance"))
                    && pod.getMetadata().getDeletionTimestamp() == null) {
                RunningPod runningPod = running.get(pod.getMetadata().getUid());
                if (runningPod != null) {
                    pods.add(runningPod);
                }
            }
        }
        return pods;
    }

    private void changed(Pod pod) {
        String uid = pod.getMetadata().getUid();
        if (pod.getMetadata().getDeletionTimestamp() != null) {
            if (busy.putIfAbsent(uid, Boolean.TRUE) == null) {
                work.execute(() -> {
                    try {
                        terminate(pod);
                    } finally {
                        busy.remove(uid);
                    }
                });
            }
            return;
        }
        if (running.containsKey(uid) || "Running".equals(phase(pod)) || busy.putIfAbsent(uid, Boolean.TRUE) != null) {
            return;
        }
        work.execute(() -> {
            try {
                start(pod);
            } catch (RuntimeException e) {
                LOG.warn("Could not start pod {}/{}: {}", pod.getMetadata().getNamespace(), pod.getMetadata().getName(),
                        e.toString());
            } finally {
                busy.remove(uid);
            }
        });
    }

    private static String phase(Pod pod) {
        return pod.getStatus() == null ? null : pod.getStatus().getPhase();
    }

    private void start(Pod pod) {
        String namespace = pod.getMetadata().getNamespace();
        String name = pod.getMetadata().getName();
        if (pod.getSpec().getNodeName() == null) {
            // What the scheduler does: a Binding, the only way to set spec.nodeName.
            client.bindings().inNamespace(namespace).resource(new BindingBuilder()
                    .withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
                    .withNewTarget().withApiVersion("v1").withKind("Node").withName(NODE).endTarget()
                    .build()).create();
        }
        Path podRoot = root.resolve(namespace).resolve(name + "-" + pod.getMetadata().getUid());
        Container container = pod.getSpec().getContainers().get(0);
        mountVolumes(namespace, pod.getSpec().getVolumes(), container.getVolumeMounts(), podRoot);
        RunningPod started = null;
        String ip = null;
        // Every test JVM on the machine counts addresses from the same start: one that another
        // JVM's pod holds (or its closed connections still do, in TIME_WAIT) is skipped.
        for (int attempt = 1; started == null; attempt++) {
            int n = NEXT_ADDRESS.getAndIncrement();
            ip = "127.1." + (n / 250) + "." + (n % 250 + 1);
            try {
                if (light.test(pod)) {
                    started = new RunningPod(namespace, name, pod.getMetadata().getUid(), ip, null,
                            standIns.open(ip, adminPort(container), adminTls(container, podRoot)), 0);
                } else {
                    started = new RunningPod(namespace, name, pod.getMetadata().getUid(), ip,
                            runtime(container, podRoot, ip), null, 0);
                }
            } catch (IOException | UncheckedIOException e) {
                if (!addressInUse(e) || attempt == 50) {
                    throw e instanceof UncheckedIOException u ? u : new UncheckedIOException((IOException) e);
                }
                LOG.info("Pod {}/{}: {} is in use, trying the next address", namespace, name, ip);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        running.put(started.uid(), started);
        writeStatus(pod, container, ip, started.ready(), 0);
    }

    private ProxyRuntime runtime(Container container, Path podRoot, String ip) throws IOException, InterruptedException {
        return ProxyRuntime.start(RuntimeOptions.fromArgs(args(container, podRoot, ip)), services);
    }

    /**
     * The pod's container crashes and the kubelet starts it again: a new process on the same
     * address from the same mounted files (as they were mounted: a real kubelet refreshes
     * Secret volumes only now and then), and the Pod's restartCount goes up, which is how the
     * operator learns that what it pushed to the old process is gone.
     */
    public RunningPod restart(RunningPod pod) {
        Pod current = client.pods().inNamespace(pod.namespace()).withName(pod.name()).require();
        Container container = current.getSpec().getContainers().get(0);
        Path podRoot = root.resolve(pod.namespace()).resolve(pod.name() + "-" + pod.uid());
        pod.stop(Duration.ZERO);
        RunningPod restarted;
        try {
            restarted = new RunningPod(pod.namespace(), pod.name(), pod.uid(), pod.ip(),
                    runtime(container, podRoot, pod.ip()), null, pod.restarts() + 1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        running.put(restarted.uid(), restarted);
        writeStatus(current, container, restarted.ip(), restarted.ready(), restarted.restarts());
        return restarted;
    }

    private static boolean addressInUse(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof java.net.BindException
                    || String.valueOf(cause.getMessage()).contains("Address already in use")) {
                return true;
            }
        }
        return false;
    }

    /** The admin certificate and key files a pod's runtime serves (its --admin-tls-secret), or null without one. */
    private static Path[] adminTls(Container container, Path podRoot) {
        List<String> args = container.getArgs();
        int secret = args.indexOf("--admin-tls-secret");
        int dir = args.indexOf("--secrets-dir");
        if (secret < 0 || dir < 0) {
            return null;
        }
        Path folder = podRoot.resolve(args.get(dir + 1).substring(1)).resolve(args.get(secret + 1));
        return new Path[] {folder.resolve("tls.crt"), folder.resolve("tls.key")};
    }

    private static int adminPort(Container container) {
        return container.getPorts().stream().filter(p -> "admin".equals(p.getName())).findFirst().orElseThrow()
                .getContainerPort();
    }

    /** The container's arguments, with paths moved under the pod's directory and the listeners on its address. */
    private static List<String> args(Container container, Path podRoot, String ip) {
        List<String> args = new ArrayList<>();
        List<String> given = container.getArgs();
        for (int i = 0; i < given.size(); i++) {
            String arg = given.get(i);
            args.add(arg);
            if (i + 1 < given.size() && arg.startsWith("--")) {
                String value = given.get(++i);
                switch (arg) {
                    case "--bind", "--admin-bind" -> value = ip;
                    default -> value = value.startsWith("/") ? podRoot.resolve(value.substring(1)).toString() : value;
                }
                args.add(value);
            }
        }
        args.add("--workers");
        args.add("1");
        return args;
    }

    private void writeStatus(Pod pod, Container container, String ip, boolean ready, int restarts) {
        String now = Instant.now().toString();
        String readyText = ready ? "True" : "False";
        List<PodCondition> conditions = List.of(
                condition("PodScheduled", "True", now), condition("Initialized", "True", now),
                condition("ContainersReady", readyText, now), condition("Ready", readyText, now));
        retryOnConflict(() -> client.pods().inNamespace(pod.getMetadata().getNamespace())
                .withName(pod.getMetadata().getName()).editStatus(p -> {
                    p.getStatus().setPhase("Running");
                    p.getStatus().setHostIP("127.0.0.1");
                    p.getStatus().setPodIP(ip);
                    p.getStatus().setPodIPs(List.of(new PodIP(ip)));
                    p.getStatus().setStartTime(now);
                    p.getStatus().setConditions(conditions);
                    p.getStatus().setContainerStatuses(List.of(new ContainerStatusBuilder()
                            .withName(container.getName())
                            .withImage(container.getImage())
                            .withImageID("testbed://" + container.getImage())
                            .withContainerID("testbed://" + p.getMetadata().getUid())
                            .withReady(ready)
                            .withStarted(true)
                            .withRestartCount(restarts)
                            .withNewState().withNewRunning().withStartedAt(now).endRunning().endState()
                            .build()));
                    return p;
                }));
    }

    private static PodCondition condition(String type, String status, String now) {
        return new PodConditionBuilder().withType(type).withStatus(status).withLastTransitionTime(now).build();
    }

    /** Unready first (the operator stops pushing, clients move on), the preStop pause, the drain, the final delete. */
    private void terminate(Pod pod) {
        RunningPod runningPod = running.get(pod.getMetadata().getUid());
        if (runningPod != null) {
            try {
                retryOnConflict(() -> client.pods().inNamespace(pod.getMetadata().getNamespace())
                        .withName(pod.getMetadata().getName()).editStatus(p -> {
                            p.getStatus().getConditions().stream()
                                    .filter(c -> c.getType().equals("Ready") || c.getType().equals("ContainersReady"))
                                    .forEach(c -> c.setStatus("False"));
                            return p;
                        }));
            } catch (KubernetesClientException e) {
                LOG.debug("Pod {} is gone already: {}", pod.getMetadata().getName(), e.getMessage());
            }
            sleep(preStop(pod));
            runningPod.stop(Duration.ofSeconds(5));
            running.remove(runningPod.uid());
        }
        try {
            client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName())
                    .withGracePeriod(0).delete();
        } catch (KubernetesClientException e) {
            LOG.debug("Final delete of {}: {}", pod.getMetadata().getName(), e.getMessage());
        }
    }

    private static Duration preStop(Pod pod) {
        var lifecycle = pod.getSpec().getContainers().get(0).getLifecycle();
        if (lifecycle == null || lifecycle.getPreStop() == null || lifecycle.getPreStop().getSleep() == null) {
            return Duration.ZERO;
        }
        Duration asked = Duration.ofSeconds(lifecycle.getPreStop().getSleep().getSeconds());
        return asked.compareTo(MAX_PRE_STOP) > 0 ? MAX_PRE_STOP : asked;
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
                Secret secret = awaitSecret(namespace, volume.getSecret().getSecretName());
                Map<String, String> data = secret.getData() == null ? Map.of() : secret.getData();
                List<KeyToPath> items = volume.getSecret().getItems();
                if (items == null || items.isEmpty()) {
                    items = data.keySet().stream().map(key -> new KeyToPath(key, null, key)).toList();
                }
                for (KeyToPath item : items) {
                    Path file = dir.resolve(item.getPath());
                    Files.createDirectories(file.getParent());
                    Path temp = Files.createTempFile(file.getParent(), ".sync", "");
                    Files.write(temp, Base64.getDecoder().decode(data.get(item.getKey())));
                    Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** A kubelet waits for a Secret volume's Secret; so does this one, briefly. */
    private Secret awaitSecret(String namespace, String name) {
        for (int attempt = 0; attempt < 100; attempt++) {
            Secret secret = client.secrets().inNamespace(namespace).withName(name).get();
            if (secret != null) {
                return secret;
            }
            sleep(Duration.ofMillis(100));
        }
        throw new IllegalStateException("Secret " + namespace + "/" + name + " never appeared");
    }

    private static void retryOnConflict(Runnable write) {
        for (int attempt = 1; ; attempt++) {
            try {
                write.run();
                return;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409 || attempt == 10) {
                    throw e;
                }
            }
        }
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Stops every pod this kubelet runs and removes them for good, as a node that goes away
     * has its pods force-deleted: a Pod left Running with no process behind it would keep
     * its namespace from ever finishing deletion and take pushes that can never succeed.
     */
    @Override
    public void close() {
        informer.close();
        work.shutdownNow();
        for (RunningPod pod : running.values()) {
            pod.stop(Duration.ZERO);
            try {
                client.pods().inNamespace(pod.namespace()).withName(pod.name()).withGracePeriod(0).delete();
            } catch (KubernetesClientException e) {
                LOG.debug("Removing pod {}/{}: {}", pod.namespace(), pod.name(), e.getMessage());
            }
        }
        running.clear();
        try {
            work.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
