package dev.portico.operator.testbed;

import dev.portico.runtime.testing.ServiceDirectory;
import dev.portico.runtime.testing.TestBackend;
import io.fabric8.kubernetes.api.model.BindingBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Plays the kubelet for a test's backend pods, the app behind a site: the pods of one label
 * selector in one namespace (those of a test's own Deployment, made by the real ReplicaSet
 * controller). Each pod is bound to {@link TestbedKubelet#NODE}, gets a pod address of its own
 * in 10.244.0.0/16 (the API server refuses loopback addresses in EndpointSlices, so the real
 * EndpointSlice controller could not list 127.x pods), and runs a {@link TestBackend} named
 * after the pod (it answers {@code ok <pod> GET /path}, so a test sees which pod served) on
 * 127.0.0.1. The {@link ServiceDirectory} the in-process runtimes connect through maps each of
 * the pod's container ports at its address to that listener: a proxy that connects to
 * {@code 10.244.x.y:containerPort}, the address its EndpointSlice lists, reaches that pod.
 *
 * <p>Termination is a kubelet's: a pod being deleted first keeps serving for {@code preStop}
 * (still Ready: the EndpointSlice controller lists it {@code terminating}, {@code serving}),
 * then turns unready and stops accepting connections while it answers what it has for
 * {@code drain} (terminating, not serving), and is then stopped and removed for good (a delete
 * with grace period 0, the kubelet's last word), which takes it out of the slices.
 * {@link #kill} is the other way a pod ends: the process dies at once, with whatever it had.
 *
 * <p>Usage, for the proofs of endpoint balancing (a Deployment rolling under load, a pod
 * killed): create the Deployment and its Service, then
 * {@code new BackendPods(admin, ns, "app=web", cluster.services)}; {@link #awaitReady} waits
 * for the pods; {@link #all} keeps every pod that ran, stopped or not, so that the requests each
 * one answered ({@code backend().requests()}) can be counted after it is gone.
 */
public final class BackendPods implements AutoCloseable {

    /** One backend pod as this kubelet ran it. */
    public record Backend(String name, String uid, String ip, List<Integer> ports, TestBackend backend) {}

    private static final Logger LOG = LoggerFactory.getLogger(BackendPods.class);
    /** 10.244.0.1, 10.244.0.2, ...: per JVM, which has a control plane of its own. */
    private static final AtomicInteger NEXT_ADDRESS = new AtomicInteger();
    private static final Duration DEFAULT_PRE_STOP = Duration.ofMillis(500);
    private static final Duration DEFAULT_DRAIN = Duration.ofMillis(500);

    private final KubernetesClient client;
    private final String namespace;
    private final ServiceDirectory network;
    private final Duration preStop;
    private final Duration drain;
    private final Map<String, Backend> running = new ConcurrentHashMap<>();
    private final List<Backend> all = new CopyOnWriteArrayList<>();
    /** Pod uid of a start or stop in progress, so one pod never has two at once. */
    private final Map<String, Boolean> busy = new ConcurrentHashMap<>();
    private final ExecutorService work = Executors.newFixedThreadPool(4, runnable -> {
        Thread thread = new Thread(runnable, "backend-pods");
        thread.setDaemon(true);
        return thread;
    });
    private final SharedIndexInformer<Pod> informer;

    /**
     * @param selector a label selector, {@code key=value[,key=value]}
     * @param network  what the in-process runtimes resolve and connect through
     */
    public BackendPods(KubernetesClient admin, String namespace, String selector, ServiceDirectory network) {
        this(admin, namespace, selector, network, DEFAULT_PRE_STOP, DEFAULT_DRAIN);
    }

    public BackendPods(KubernetesClient admin, String namespace, String selector, ServiceDirectory network,
            Duration preStop, Duration drain) {
        this.client = admin;
        this.namespace = namespace;
        this.network = network;
        this.preStop = preStop;
        this.drain = drain;
        ensureNode(admin);
        this.informer = admin.pods().inNamespace(namespace).withLabelSelector(selector).inform(new ResourceEventHandler<>() {
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
                // Removed by someone else (a forced delete): the process goes with it.
                Backend gone = running.remove(pod.getMetadata().getUid());
                if (gone != null) {
                    stop(gone);
                }
            }
        });
    }

    /**
     * The EndpointSlice controller lists a pod only if its node exists (a pod on an unknown node
     * is skipped). There is no node lifecycle controller here, so an object is all it takes.
     */
    private static void ensureNode(KubernetesClient admin) {
        if (admin.nodes().withName(TestbedKubelet.NODE).get() != null) {
            return;
        }
        try {
            admin.nodes().resource(new NodeBuilder().withNewMetadata().withName(TestbedKubelet.NODE)
                    .addToLabels("kubernetes.io/hostname", TestbedKubelet.NODE).endMetadata().build()).create();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
        }
    }

    /** The pods serving now (not being deleted), by pod name. */
    public Map<String, Backend> running() {
        Map<String, Backend> byName = new java.util.TreeMap<>();
        running.values().forEach(b -> byName.put(b.name(), b));
        return byName;
    }

    /** Every pod that ran, in the order started, including those stopped since. */
    public List<Backend> all() {
        return List.copyOf(all);
    }

    /** The pod of that name as it ran, if it did. */
    public Optional<Backend> pod(String name) {
        return all.stream().filter(b -> b.name().equals(name)).reduce((first, second) -> second);
    }

    /** Waits until exactly {@code count} pods run and the API server has them Ready; returns them. */
    public Collection<Backend> awaitReady(int count, Duration atMost) {
        return org.awaitility.Awaitility.await().atMost(atMost).until(() -> {
            if (running.size() != count) {
                return null;
            }
            for (Backend backend : running.values()) {
                Pod pod = client.pods().inNamespace(namespace).withName(backend.name()).get();
                if (pod == null || pod.getMetadata().getDeletionTimestamp() != null || !isReady(pod)) {
                    return null;
                }
            }
            return running().values();
        }, Objects::nonNull);
    }

    /**
     * The pod's process dies at once (in-flight requests fail, connections are refused) and its
     * Pod is removed without grace, as a node that lost it reports; its ReplicaSet makes another.
     */
    public void kill(String podName) {
        Backend backend = running.values().stream().filter(b -> b.name().equals(podName)).findFirst().orElseThrow();
        busy.put(backend.uid(), Boolean.TRUE);
        running.remove(backend.uid());
        stop(backend);
        try {
            client.pods().inNamespace(namespace).withName(podName).withGracePeriod(0).delete();
        } catch (KubernetesClientException e) {
            LOG.debug("Killed pod {}: {}", podName, e.getMessage());
        }
    }

    private void changed(Pod pod) {
        String uid = pod.getMetadata().getUid();
        if (pod.getMetadata().getDeletionTimestamp() != null) {
            if (busy.putIfAbsent(uid, Boolean.TRUE) == null) {
                work.execute(() -> terminate(pod));
            }
            return;
        }
        if (running.containsKey(uid) || busy.putIfAbsent(uid, Boolean.TRUE) != null) {
            return;
        }
        work.execute(() -> {
            try {
                start(pod);
            } catch (RuntimeException e) {
                LOG.warn("Could not start backend pod {}/{}: {}", namespace, pod.getMetadata().getName(), e.toString());
            } finally {
                busy.remove(uid);
            }
        });
    }

    private void start(Pod pod) {
        String name = pod.getMetadata().getName();
        if (pod.getSpec().getNodeName() == null) {
            // What the scheduler does: a Binding, the only way to set spec.nodeName.
            client.bindings().inNamespace(namespace).resource(new BindingBuilder()
                    .withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
                    .withNewTarget().withApiVersion("v1").withKind("Node").withName(TestbedKubelet.NODE).endTarget()
                    .build()).create();
        }
        int n = NEXT_ADDRESS.getAndIncrement();
        String ip = "10.244." + (n / 250) + "." + (n % 250 + 1);
        List<Integer> ports = pod.getSpec().getContainers().stream()
                .flatMap(c -> Optional.ofNullable(c.getPorts()).orElse(List.of()).stream())
                .filter(p -> p.getProtocol() == null || "TCP".equals(p.getProtocol()))
                .map(ContainerPort::getContainerPort)
                .toList();
        TestBackend app = TestBackend.start(name);
        Backend backend = new Backend(name, pod.getMetadata().getUid(), ip, ports, app);
        ports.forEach(port -> network.put(ip, port, app.port()));
        running.put(backend.uid(), backend);
        all.add(backend);
        writeStatus(pod, ip, true);
        LOG.info("Backend pod {}/{} runs at {} ports {} (127.0.0.1:{})", namespace, name, ip, ports, app.port());
    }

    /** preStop (still serving), then unready and draining, then gone: see the class comment. */
    private void terminate(Pod pod) {
        Backend backend = running.get(pod.getMetadata().getUid());
        if (backend != null) {
            sleep(preStop);
            try {
                writeStatus(pod, backend.ip(), false);
            } catch (KubernetesClientException e) {
                LOG.debug("Pod {} is gone already: {}", pod.getMetadata().getName(), e.getMessage());
            }
            backend.backend().stopAccepting();
            sleep(drain);
            running.remove(backend.uid());
            stop(backend);
        }
        try {
            client.pods().inNamespace(namespace).withName(pod.getMetadata().getName()).withGracePeriod(0).delete();
        } catch (KubernetesClientException e) {
            LOG.debug("Final delete of {}: {}", pod.getMetadata().getName(), e.getMessage());
        }
    }

    private void stop(Backend backend) {
        backend.ports().forEach(port -> network.remove(backend.ip(), port));
        backend.backend().close();
    }

    private void writeStatus(Pod pod, String ip, boolean ready) {
        String now = Instant.now().toString();
        String readyText = ready ? "True" : "False";
        List<PodCondition> conditions = List.of(
                condition("PodScheduled", "True", now), condition("Initialized", "True", now),
                condition("ContainersReady", readyText, now), condition("Ready", readyText, now));
        List<ContainerStatus> statuses = new ArrayList<>();
        for (Container container : pod.getSpec().getContainers()) {
            statuses.add(new ContainerStatusBuilder()
                    .withName(container.getName())
                    .withImage(container.getImage())
                    .withImageID("testbed://" + container.getImage())
                    .withContainerID("testbed://" + pod.getMetadata().getUid() + "/" + container.getName())
                    .withReady(ready)
                    .withStarted(true)
                    .withRestartCount(0)
                    .withNewState().withNewRunning().withStartedAt(now).endRunning().endState()
                    .build());
        }
        for (int attempt = 1; ; attempt++) {
            try {
                client.pods().inNamespace(namespace).withName(pod.getMetadata().getName()).editStatus(p -> {
                    p.getStatus().setPhase("Running");
                    p.getStatus().setHostIP("127.0.0.1");
                    p.getStatus().setPodIP(ip);
                    p.getStatus().setPodIPs(List.of(new PodIP(ip)));
                    if (p.getStatus().getStartTime() == null) {
                        p.getStatus().setStartTime(now);
                    }
                    p.getStatus().setConditions(conditions);
                    p.getStatus().setContainerStatuses(statuses);
                    return p;
                });
                return;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409 || attempt == 10) {
                    throw e;
                }
            }
        }
    }

    private static boolean isReady(Pod pod) {
        return pod.getStatus() != null && pod.getStatus().getConditions() != null && pod.getStatus().getConditions()
                .stream().anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    private static PodCondition condition(String type, String status, String now) {
        return new PodConditionBuilder().withType(type).withStatus(status).withLastTransitionTime(now).build();
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops every backend and removes its pod for good, as a node that goes away has its pods force-deleted. */
    @Override
    public void close() {
        informer.close();
        work.shutdownNow();
        for (Backend backend : running.values()) {
            stop(backend);
            try {
                client.pods().inNamespace(namespace).withName(backend.name()).withGracePeriod(0).delete();
            } catch (KubernetesClientException e) {
                LOG.debug("Removing pod {}/{}: {}", namespace, backend.name(), e.getMessage());
            }
        }
        running.clear();
        try {
            work.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Rolls a Deployment as {@code kubectl rollout restart} does: a patch of a pod-template annotation
     * without a resourceVersion, so the Deployment controller's own writes (status, revision) in the
     * meantime cannot make it a 409 conflict, as a read-modify-write edit can.
     */
    public static void rollOut(KubernetesClient client, String namespace, String deployment, String revision) {
        client.apps().deployments().inNamespace(namespace).withName(deployment).patch(
                PatchContext.of(PatchType.STRATEGIC_MERGE),
                "{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{\"portico.dev/rollout\":\"" + revision + "\"}}}}}");
    }
}
