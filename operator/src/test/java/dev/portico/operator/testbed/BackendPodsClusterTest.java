package dev.portico.operator.testbed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portico.runtime.testing.ServiceDirectory;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.netty.util.concurrent.ImmediateEventExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link BackendPods} against the real Deployment, ReplicaSet and EndpointSlice controllers:
 * the pods it runs are listed by the Service's EndpointSlice at their 10.244.x.y addresses,
 * reachable there through the {@link ServiceDirectory}, and a deleted pod goes through the
 * conditions a kubelet's graceful termination gives it, answering what it has in flight.
 */
@ClusterTest
@Timeout(120)
class BackendPodsClusterTest {

    private final KubernetesClient admin = Testbed.shared().admin();
    private final ServiceDirectory network = new ServiceDirectory();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private String ns;
    private BackendPods pods;

    @BeforeEach
    void start() {
        ns = "backend-pods-" + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36 * 36 * 36), 36);
        admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
        pods = new BackendPods(admin, ns, "app=web", network, Duration.ofMillis(800), Duration.ofMillis(800));
        admin.services().inNamespace(ns).resource(new ServiceBuilder()
                .withNewMetadata().withName("web").endMetadata()
                .withNewSpec().addToSelector("app", "web")
                    .addNewPort().withName("http").withPort(80).withNewTargetPort("http").endPort()
                .endSpec().build()).create();
        admin.apps().deployments().inNamespace(ns).resource(new DeploymentBuilder()
                .withNewMetadata().withName("web").endMetadata()
                .withNewSpec().withReplicas(3)
                    .withNewSelector().addToMatchLabels("app", "web").endSelector()
                    .withNewTemplate()
                        .withNewMetadata().addToLabels("app", "web").endMetadata()
                        .withNewSpec().addNewContainer().withName("web").withImage("testbed/web:1")
                            .addNewPort().withName("http").withContainerPort(8080).endPort()
                        .endContainer().endSpec()
                    .endTemplate()
                .endSpec().build()).create();
    }

    @AfterEach
    void stop() {
        pods.close();
        admin.namespaces().withName(ns).delete();
    }

    @Test
    void theControllersListThePodsAtTheirAddressesWhereEachAnswersWithItsName() throws Exception {
        var running = pods.awaitReady(3, Duration.ofSeconds(60));

        assertThat(running).extracting(BackendPods.Backend::ip).allMatch(ip -> ip.startsWith("10.244.")).doesNotHaveDuplicates();
        for (BackendPods.Backend backend : running) {
            Pod pod = admin.pods().inNamespace(ns).withName(backend.name()).get();
            assertThat(pod.getSpec().getNodeName()).isEqualTo(TestbedKubelet.NODE);
            assertThat(pod.getStatus().getPodIP()).isEqualTo(backend.ip());
            assertThat(get(backend.ip(), 8080, "/hello")).isEqualTo("ok " + backend.name() + " GET /hello");
        }
        List<Endpoint> listed = Awaitility.await().atMost(Duration.ofSeconds(30)).until(this::endpoints,
                endpoints -> endpoints.size() == 3 && endpoints.stream().allMatch(e -> Boolean.TRUE.equals(e.getConditions().getReady())));
        assertThat(listed).extracting(e -> e.getAddresses().get(0))
                .containsExactlyInAnyOrderElementsOf(running.stream().map(BackendPods.Backend::ip).toList());
        assertThat(admin.discovery().v1().endpointSlices().inNamespace(ns).withLabel("kubernetes.io/service-name", "web")
                .list().getItems().get(0).getPorts()).singleElement().satisfies(p -> assertThat(p.getPort()).isEqualTo(8080));
    }

    @Test
    void aDeletedPodIsTerminatingWhileItFinishesWhatItHasThenGone() throws Exception {
        BackendPods.Backend victim = pods.awaitReady(3, Duration.ofSeconds(60)).iterator().next();
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> endpoints().size() == 3);
        InetSocketAddress listener = resolve(victim.ip(), 8080);

        admin.pods().inNamespace(ns).withName(victim.name()).delete();
        // In flight when the pod starts terminating; answered within the grace.
        CompletableFuture<HttpResponse<String>> inFlight = http.sendAsync(request(listener, "/__slow?delayMs=1000"),
                HttpResponse.BodyHandlers.ofString());

        Endpoint terminatingServing = Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .until(() -> endpoint(victim.ip()), e -> e.isPresent() && Boolean.TRUE.equals(e.get().getConditions().getTerminating())).orElseThrow();
        assertThat(terminatingServing.getConditions().getReady()).isFalse();
        Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .until(() -> endpoint(victim.ip()), e -> e.isEmpty() || Boolean.FALSE.equals(e.get().getConditions().getServing()));
        assertThat(inFlight.get().statusCode()).isEqualTo(200);
        assertThat(inFlight.get().body()).startsWith("ok " + victim.name());

        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> endpoint(victim.ip()).isEmpty());
        Awaitility.await().atMost(Duration.ofSeconds(20))
                .until(() -> admin.pods().inNamespace(ns).withName(victim.name()).get() == null);
        assertThatThrownBy(() -> http.send(request(listener, "/"), HttpResponse.BodyHandlers.ofString()))
                .as("its process is gone").isInstanceOf(IOException.class);
        assertThat(pods.pod(victim.name())).map(b -> b.backend().requests().size()).contains(1);
        // The ReplicaSet replaces it, at a new address.
        assertThat(pods.awaitReady(3, Duration.ofSeconds(60))).extracting(BackendPods.Backend::ip).doesNotContain(victim.ip());
    }

    @Test
    void aKilledPodFailsWhatItHadInFlight() throws Exception {
        BackendPods.Backend victim = pods.awaitReady(3, Duration.ofSeconds(60)).iterator().next();
        InetSocketAddress listener = resolve(victim.ip(), 8080);
        CompletableFuture<HttpResponse<String>> inFlight = http.sendAsync(request(listener, "/__slow?delayMs=3000"),
                HttpResponse.BodyHandlers.ofString());
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> victim.backend().requests().size() == 1);

        pods.kill(victim.name());

        assertThat(inFlight).failsWithin(Duration.ofSeconds(5));
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> endpoint(victim.ip()).isEmpty());
    }

    @Test
    void aRollingUpdateOfTheDeploymentCompletesThroughThePodsItRuns() {
        var before = pods.awaitReady(3, Duration.ofSeconds(60)).stream().map(BackendPods.Backend::name).toList();

        BackendPods.rollOut(admin, ns, "web", "2");

        // The real controllers wait for each new pod to be available before they delete an old one.
        Awaitility.await().atMost(Duration.ofSeconds(90)).until(() -> {
            var status = admin.apps().deployments().inNamespace(ns).withName("web").get().getStatus();
            return status != null && Integer.valueOf(3).equals(status.getUpdatedReplicas())
                    && Integer.valueOf(3).equals(status.getAvailableReplicas()) && status.getReplicas() == 3;
        });
        var after = pods.awaitReady(3, Duration.ofSeconds(60));
        assertThat(after).extracting(BackendPods.Backend::name).doesNotContainAnyElementsOf(before);
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> endpoints().stream()
                .map(e -> e.getAddresses().get(0)).sorted().toList()
                .equals(after.stream().map(BackendPods.Backend::ip).sorted().toList()));
        assertThat(pods.all()).hasSize(6);
    }

    private List<Endpoint> endpoints() {
        return admin.discovery().v1().endpointSlices().inNamespace(ns).withLabel("kubernetes.io/service-name", "web")
                .list().getItems().stream().flatMap(s -> s.getEndpoints() == null ? java.util.stream.Stream.empty()
                        : s.getEndpoints().stream()).toList();
    }

    private Optional<Endpoint> endpoint(String ip) {
        return endpoints().stream().filter(e -> e.getAddresses().contains(ip)).findFirst();
    }

    /** Where a connection to {@code ip:port} goes: what the in-process runtimes' resolver answers. */
    private InetSocketAddress resolve(String ip, int port) throws Exception {
        return network.getResolver(ImmediateEventExecutor.INSTANCE).resolve(new InetSocketAddress(ip, port)).get();
    }

    private String get(String ip, int port, String path) throws Exception {
        return http.send(request(resolve(ip, port), path), HttpResponse.BodyHandlers.ofString()).body();
    }

    private static HttpRequest request(InetSocketAddress listener, String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + listener.getPort() + path))
                .timeout(Duration.ofSeconds(10)).build();
    }
}
