package dev.portico.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portico.crds.ProxySiteLoader;
import dev.portico.operator.testbed.ClusterTest;
import dev.portico.operator.testbed.Testbed;
import dev.portico.operator.testbed.TestbedKubelet;
import dev.portico.runtime.testing.RawHttpClient;
import dev.portico.runtime.testing.RawResponse;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Edits on the real control plane. A route change re-renders the bundle and reaches the
 * running pods by push: the pod template, and so the pods, stay as they are. A change of the
 * pod template (here: the operator upgraded to another proxy image) rolls the pods through
 * the real Deployment and ReplicaSet controllers, and a client that keeps sending requests
 * to the ready pods (what a Service's endpoints give it) sees no failure.
 */
@ClusterTest
@Timeout(240)
class EditsClusterTest {

    private static final String NS = "edits";
    private static final String SITE = "edited";
    private static final String HOST = "edited.example.com";

    @TempDir
    Path root;

    @Test
    void aRouteChangeIsPushedAndATemplateChangeRollsWithoutAFailedRequest(Testbed testbed) throws Exception {
        try (ClusterStandIn cluster = new ClusterStandIn(testbed, root)) {
            cluster.apply(ProxySiteLoader.parse(site("v1")));
            List<TestbedKubelet.RunningPod> pods = cluster.awaitPods(NS, SITE, 2);
            cluster.awaitProgrammed(NS, SITE);
            Deployment before = deployment(testbed);
            Set<String> uids = pods.stream().map(TestbedKubelet.RunningPod::uid).collect(Collectors.toSet());
            for (TestbedKubelet.RunningPod pod : pods) {
                assertThat(get(pod).bodyText()).isEqualTo("v1");
            }

            cluster.edit(NS, SITE, yaml -> yaml.replace("body: v1", "body: v2"));
            cluster.awaitProgrammed(NS, SITE);
            for (TestbedKubelet.RunningPod pod : pods) {
                assertThat(get(pod).bodyText()).as("pod %s after the push", pod.name()).isEqualTo("v2");
            }
            assertThat(deployment(testbed).getMetadata().getGeneration()).as("the template is untouched")
                    .isEqualTo(before.getMetadata().getGeneration());
            assertThat(cluster.kubelet().podsOf(NS, SITE).stream().map(TestbedKubelet.RunningPod::uid))
                    .as("no pod was replaced").containsExactlyInAnyOrderElementsOf(uids);

            AtomicBoolean running = new AtomicBoolean(true);
            AtomicInteger served = new AtomicInteger();
            ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
            Thread client = new Thread(() -> {
                int next = 0;
                while (running.get()) {
                    List<TestbedKubelet.RunningPod> ready = cluster.kubelet().podsOf(NS, SITE).stream()
                            .filter(TestbedKubelet.RunningPod::ready).toList();
                    if (ready.isEmpty()) {
                        failures.add("no ready pod");
                        continue;
                    }
                    TestbedKubelet.RunningPod pod = ready.get(next++ % ready.size());
                    try {
                        RawResponse response = get(pod);
                        if (response.status() != 200 || !response.bodyText().equals("v2")) {
                            failures.add(pod.name() + ": " + response.status() + " " + response.bodyText());
                        } else {
                            served.incrementAndGet();
                        }
                    } catch (IOException e) {
                        failures.add(pod.name() + ": " + e);
                    }
                }
            }, "rollout-client");
            client.start();

            cluster.restartOperator("ghcr.io/portico-dev/proxy-runtime:0.1.1");
            await().atMost(Duration.ofSeconds(120)).until(() -> rolledTo(testbed, "ghcr.io/portico-dev/proxy-runtime:0.1.1"));
            cluster.awaitProgrammed(NS, SITE);
            Thread.sleep(500);
            running.set(false);
            client.join();

            assertThat(failures).as("requests that failed during the rollout").isEmpty();
            assertThat(served.get()).isGreaterThan(20);
            assertThat(cluster.kubelet().podsOf(NS, SITE).stream().map(TestbedKubelet.RunningPod::uid))
                    .as("every pod was replaced").doesNotContainAnyElementsOf(uids);
        }
    }

    /** The Deployment has rolled out: every pod of the site runs {@code image}, two are ready, none is left over. */
    private static boolean rolledTo(Testbed testbed, String image) {
        Deployment deployment = deployment(testbed);
        List<Pod> pods = testbed.admin().pods().inNamespace(NS).withLabel("app.kubernetes.io/instance", SITE).list()
                .getItems();
        return deployment.getStatus() != null
                && Integer.valueOf(2).equals(deployment.getStatus().getUpdatedReplicas())
                && Integer.valueOf(2).equals(deployment.getStatus().getAvailableReplicas())
                && Integer.valueOf(2).equals(deployment.getStatus().getReplicas())
                && pods.size() == 2
                && pods.stream().allMatch(p -> p.getSpec().getContainers().get(0).getImage().equals(image));
    }

    private static Deployment deployment(Testbed testbed) {
        return testbed.admin().apps().deployments().inNamespace(NS).withName(SITE + "-proxy").get();
    }

    private static RawResponse get(TestbedKubelet.RunningPod pod) throws IOException {
        try (RawHttpClient http = RawHttpClient.over(new Socket(pod.ip(), pod.runtime().httpPort()))) {
            return http.send("GET /version HTTP/1.1\r\nHost: " + HOST + "\r\nConnection: close\r\n\r\n").readResponse();
        }
    }

    private static String site(String version) {
        return """
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: %s, namespace: %s}
                spec:
                  hosts: ["%s"]
                  replicas: 2
                  routes:
                    - match: {path: {type: Exact, value: /version}}
                      respond: {status: 200, body: %s}
                """.formatted(SITE, NS, HOST, version);
    }
}
