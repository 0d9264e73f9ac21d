package dev.portico.operator.e2e;

import static org.awaitility.Awaitility.await;

import dev.portico.crds.v1alpha1.ProxySiteStatus;
import dev.portico.operator.api.ProxySiteResource;
import dev.portico.operator.testbed.ClusterTest;
import dev.portico.operator.testbed.StandInPods;
import dev.portico.operator.testbed.Testbed;
import dev.portico.runtime.testing.RawHttpClient;
import dev.portico.runtime.testing.TestBackend;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * A benchmark, not a test (run by bench/propagation.sh; skipped otherwise): the time from a
 * ProxySite update to {@code Programmed=True} for the new config on its 3 pods (real
 * runtimes), median and p99 over {@code portico.bench.changes} edits, with 1, 100 and 1,000
 * ProxySites in the cluster; and the same from an edit of its backend Service's EndpointSlice. The other sites have one pod each that answers only on its admin
 * port ({@link StandInPods}) and are all programmed before a measurement starts, so the
 * operator carries their watches, caches and periodic re-verification while it works on the
 * measured site.
 *
 * <p>On the real control plane ({@link Testbed}): the operator as shipped (server-side apply,
 * leader election, its own ServiceAccount), etcd-backed writes, the real Deployment and
 * ReplicaSet controllers making the pods.
 */
@ClusterTest
@EnabledIfSystemProperty(named = "portico.bench", matches = "propagation")
class PropagationBenchmark {

    private static final String NS = "bench";
    private static final String SITE = "measured";

    @TempDir
    Path root;

    @Test
    void timeFromAnEditToProgrammed(Testbed testbed) throws Exception {
        int changes = Integer.getInteger("portico.bench.changes", 100);
        List<Integer> sizes = Arrays.stream(System.getProperty("portico.bench.sites", "1,100,1000").split(","))
                .map(String::trim).map(Integer::parseInt).toList();
        KubernetesClient client = testbed.admin();
        try (StandInPods standIns = new StandInPods();
             ClusterStandIn cluster = new ClusterStandIn(testbed, root,
                     pod -> !pod.getMetadata().getNamespace().equals(NS), standIns);
             TestBackend app = TestBackend.start("app")) {
            cluster.services.put("app", 8000, app);
            cluster.apply(dev.portico.crds.ProxySiteLoader.parse(site(NS, SITE, 3, 0)));
            var pods = cluster.awaitPods(NS, SITE, 3);
            cluster.awaitProgrammed(NS, SITE);
            SharedIndexInformer<ProxySiteResource> watch = client.resources(ProxySiteResource.class).inNamespace(NS)
                    .withName(SITE).inform();

            int background = 0;
            for (int size : sizes) {
                List<String> added = new ArrayList<>();
                for (; background < size - 1; background++) {
                    String ns = "bg-" + (background % 10);
                    String name = "site-" + background;
                    cluster.apply(dev.portico.crds.ProxySiteLoader.parse(site(ns, name, 1, 0)));
                    added.add(ns + "/" + name);
                }
                for (String key : added) {
                    String[] parts = key.split("/");
                    await().atMost(Duration.ofMinutes(5)).until(() -> cluster.programmed(parts[0], parts[1]));
                }

                long[] millis = new long[changes];
                for (int i = 0; i < changes; i++) {
                    String before = status(watch).configHash();
                    int version = i + 1 + size * 1000;
                    long start = System.nanoTime();
                    cluster.edit(NS, SITE, yaml -> yaml.replaceAll("body: \"?v[0-9]+\"?", "body: v" + version));
                    boolean reported = false;
                    while (!programmedWithNewHash(status(watch), before)) {
                        Thread.sleep(0, 200_000);
                        if (!reported && System.nanoTime() - start > 5_000_000_000L) {
                            // A bench run is read by people: say what is slow, once.
                            System.out.println("SLOW change " + i + ": the status says " + status(watch));
                            reported = true;
                        }
                    }
                    millis[i] = (System.nanoTime() - start) / 1_000_000;
                }
                // The pods serve what the status says they serve.
                try (RawHttpClient http = RawHttpClient.over(new Socket(pods.get(2).ip(), pods.get(2).runtime().httpPort()))) {
                    String body = http.send("GET /version HTTP/1.1\r\nHost: measured.example.com\r\n\r\n").readResponse().bodyText();
                    if (!body.equals("v" + (changes + size * 1000))) {
                        throw new AssertionError("pod serves " + body + " after the last change");
                    }
                }
                Arrays.sort(millis);
                System.out.printf("PROPAGATION sites=%d pods_measured=3 changes=%d median_ms=%d p99_ms=%d max_ms=%d%n",
                        size, changes, millis[changes / 2], millis[(int) Math.ceil(changes * 0.99) - 1],
                        millis[changes - 1]);

                // The same for an endpoint change: the Service's EndpointSlice (ClusterStandIn's
                // app-testbed) alternately gains and loses a second endpoint, as a pod joins and leaves.
                long[] endpointMillis = new long[changes];
                for (int i = 0; i < changes; i++) {
                    String before = status(watch).configHash();
                    EndpointSlice slice = client.discovery().v1().endpointSlices().inNamespace(NS).withName("app-testbed")
                            .require();
                    List<Endpoint> endpoints = new ArrayList<>(slice.getEndpoints().subList(0, 1));
                    if (slice.getEndpoints().size() == 1) {
                        endpoints.add(new EndpointBuilder().withAddresses("10.246.0.1")
                                .withNewConditions().withReady(true).endConditions().build());
                    }
                    slice.setEndpoints(endpoints);
                    long start = System.nanoTime();
                    client.discovery().v1().endpointSlices().inNamespace(NS).resource(slice).update();
                    while (!programmedWithNewHash(status(watch), before)) {
                        Thread.sleep(0, 200_000);
                    }
                    endpointMillis[i] = (System.nanoTime() - start) / 1_000_000;
                }
                Arrays.sort(endpointMillis);
                System.out.printf("ENDPOINTS sites=%d pods_measured=3 changes=%d median_ms=%d p99_ms=%d max_ms=%d%n",
                        size, changes, endpointMillis[changes / 2], endpointMillis[(int) Math.ceil(changes * 0.99) - 1],
                        endpointMillis[changes - 1]);
            }
            watch.close();
        }
    }

    private static ProxySiteStatus status(SharedIndexInformer<ProxySiteResource> watch) {
        ProxySiteResource site = watch.getStore().getByKey(NS + "/" + SITE);
        return site == null || site.getStatus() == null ? new ProxySiteStatus(null, null, null, null, null, null, null, List.of(), null)
                : site.getStatus();
    }

    private static boolean programmedWithNewHash(ProxySiteStatus status, String before) {
        return status.configHash() != null && !status.configHash().equals(before) && status.conditions().stream()
                .anyMatch(c -> c.type().equals("Programmed") && c.status().equals("True"));
    }

    private static String site(String namespace, String name, int replicas, int version) {
        return """
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: %s, namespace: %s}
                spec:
                  hosts: ["%s.example.com"]
                  replicas: %d
                  routes:
                    - match: {path: {type: Exact, value: /version}}
                      respond: {status: 200, body: "v%d"}
                    - match: {path: {value: /}}
                      backend: {service: app, port: 8000}
                """.formatted(name, namespace, name, replicas, version);
    }
}
