package dev.portico.operator.e2e;

import static org.awaitility.Awaitility.await;

import dev.portico.operator.PorticoOperator;
import dev.portico.operator.api.ProxySiteResource;
import dev.portico.operator.testbed.ClusterTest;
import dev.portico.operator.testbed.Install;
import dev.portico.operator.testbed.ShippedOperator;
import dev.portico.operator.testbed.StandInPods;
import dev.portico.operator.testbed.Testbed;
import dev.portico.operator.testbed.TestbedKubelet;
import dev.portico.runtime.tls.TestCertificates;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.netty.resolver.DefaultAddressResolverGroup;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * A benchmark, not a test (run by bench/footprint.sh; skipped otherwise): the operator's heap
 * and start-up time in a cluster that holds {@code portico.bench.sites} ProxySites (each with a
 * TLS Secret and a backend Service) among {@code portico.bench.unrelated} Secrets and as many
 * Services that no site refers to, shaped like a busy cluster's: Helm release Secrets (16 KiB
 * of release each), kubectl-applied Opaque Secrets, other certificates, ClusterIP Services.
 *
 * <p>The operator runs as shipped, as a JVM of its own ({@code OperatorMain}, the image's heap
 * setting for its 512Mi limit, its ServiceAccount's token): first on the empty cluster until
 * every site is Programmed, then restarted, as after an upgrade. For both it reports the time
 * from the process start to {@code /readyz} (every informer listed and synced) and the live
 * heap after a full collection, read from its own {@code /metrics}.
 */
@ClusterTest
@EnabledIfSystemProperty(named = "portico.bench", matches = "footprint")
class FootprintBenchmark {

    private static final int NAMESPACES = 10;
    /** What deploy/docker/operator.Dockerfile gives the JVM in the Deployment's 512Mi limit. */
    private static final String HEAP = "-XX:MaxRAMPercentage=70";
    private static final long CONTAINER_MEMORY = 512L << 20;
    /** When the container's would not do: enough to measure what the operator needs. */
    private static final long UNBOUNDED_MEMORY = 4096L << 20;
    /** The histogram's last line: "Total <instances> <bytes>". */
    private static final Pattern HISTOGRAM_TOTAL = Pattern.compile("^Total\\s+[0-9]+\\s+([0-9]+)$", Pattern.MULTILINE);

    @TempDir
    Path root;

    @Test
    void heapAndStartUp(Testbed testbed) throws Exception {
        int sites = Integer.getInteger("portico.bench.sites", 1000);
        int unrelated = Integer.getInteger("portico.bench.unrelated", 10000);
        Install.ensure(testbed);
        KubernetesClient client = testbed.admin();
        for (int n = 0; n < NAMESPACES; n++) {
            client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns(n)).endMetadata().build())
                    .serverSideApply();
        }
        long started = System.nanoTime();
        populate(unrelated, i -> unrelatedSecret(client, i), i -> unrelatedService(client, i));
        TestCertificates.Ca ca = TestCertificates.newCa("Portico footprint CA");
        for (int n = 0; n < NAMESPACES; n++) {
            client.services().inNamespace(ns(n)).resource(new ServiceBuilder()
                    .withNewMetadata().withName("app").endMetadata()
                    .withNewSpec().addNewPort().withName("http").withPort(8000).endPort().endSpec().build())
                    .serverSideApply();
        }
        populate(sites, i -> site(client, ca, i), i -> { });
        System.out.printf("FOOTPRINT populated sites=%d unrelated_secrets=%d unrelated_services=%d in %d s%n",
                sites, unrelated, unrelated, TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started));

        try (StandInPods standIns = new StandInPods();
             TestbedKubelet kubelet = new TestbedKubelet(client, root, DefaultAddressResolverGroup.INSTANCE,
                     pod -> true, standIns)) {
            long memory = CONTAINER_MEMORY;
            for (String start : List.of("first", "restart")) {
                client.leases().inNamespace(ShippedOperator.NAMESPACE).withName(PorticoOperator.LEASE_NAME).delete();
                try (OperatorProcess operator = OperatorProcess.start(testbed, root, start, memory)) {
                    long ready = operator.awaitReady();
                    if (ready < 0) {
                        // What the 512Mi container would do: note it, then measure what it needs.
                        System.out.printf("FOOTPRINT start=%s sites=%d max_ram_mb=%d exited=%s%n", start, sites,
                                memory >> 20, operator.exitReason());
                        memory = UNBOUNDED_MEMORY;
                        operator.close();
                        client.leases().inNamespace(ShippedOperator.NAMESPACE).withName(PorticoOperator.LEASE_NAME)
                                .delete();
                        try (OperatorProcess again = OperatorProcess.start(testbed, root, start + "-unbounded", memory)) {
                            report(client, sites, start, memory, again, again.awaitReady());
                        }
                        continue;
                    }
                    report(client, sites, start, memory, operator, ready);
                }
            }
        }
    }

    private static void report(KubernetesClient client, int sites, String start, long memory, OperatorProcess operator,
            long ready) throws Exception {
        if (ready < 0) {
            throw new IllegalStateException("the operator exited: " + operator.exitReason());
        }
        if (start.equals("first")) {
            long programmed = awaitAllProgrammed(client, sites, operator);
            System.out.printf("FOOTPRINT start=first sites=%d max_ram_mb=%d ready_s=%.1f all_programmed_s=%.1f"
                    + " heap_live_mb=%d%n", sites, memory >> 20, ready / 1e9, programmed / 1e9, operator.liveHeapMegabytes());
        } else {
            Thread.sleep(60_000); // a full pass of re-verification over every site
            System.out.printf("FOOTPRINT start=restart sites=%d max_ram_mb=%d ready_s=%.1f heap_live_mb=%d%n",
                    sites, memory >> 20, ready / 1e9, operator.liveHeapMegabytes());
        }
    }

    private static String ns(int n) {
        return "footprint-" + n;
    }

    /** Makes {@code count} of something on 8 threads; the API server, not this loop, is the limit. */
    private static void populate(int count, IntConsumer first, IntConsumer second) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                int index = i;
                done.add(pool.submit(() -> {
                    first.accept(index);
                    second.accept(index);
                }));
            }
            for (Future<?> future : done) {
                future.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** Four in ten Helm releases, four in ten kubectl-applied Opaque Secrets, two in ten certificates. */
    private static void unrelatedSecret(KubernetesClient client, int i) {
        String name = "unrelated-" + i;
        var secret = new SecretBuilder().withNewMetadata().withName(name).withNamespace(ns(i % NAMESPACES)).endMetadata();
        switch (i % 10) {
            case 0, 1, 2, 3 -> secret.withType("helm.sh/release.v1")
                    .editMetadata().addToLabels(Map.of("owner", "helm", "name", name, "status", "deployed")).endMetadata()
                    .withData(Map.of("release", base64(random(i, 16 << 10))));
            case 4, 5, 6, 7 -> {
                Map<String, String> data = Map.of("username", base64("user-" + i), "password", base64(random(i, 48)));
                secret.withType("Opaque").editMetadata().addToAnnotations("kubectl.kubernetes.io/last-applied-configuration",
                        Serialization.asJson(Map.of("apiVersion", "v1", "kind", "Secret", "data", data))).endMetadata()
                        .withData(data);
            }
            default -> secret.withType("kubernetes.io/tls")
                    .withData(Map.of("tls.crt", base64(random(i, 1400)), "tls.key", base64(random(i, 240)),
                            "ca.crt", base64(random(i, 1400))));
        }
        client.secrets().resource(secret.build()).create();
    }

    private static void unrelatedService(KubernetesClient client, int i) {
        client.services().resource(new ServiceBuilder()
                .withNewMetadata().withName("unrelated-" + i).withNamespace(ns(i % NAMESPACES))
                    .addToLabels("app.kubernetes.io/name", "unrelated-" + i).endMetadata()
                .withNewSpec()
                    .addNewPort().withName("http").withPort(80).withNewTargetPort(8080).endPort()
                    .addNewPort().withName("metrics").withPort(9090).endPort()
                    .addToSelector("app.kubernetes.io/name", "unrelated-" + i)
                .endSpec().build()).create();
    }

    private static void site(KubernetesClient client, TestCertificates.Ca ca, int i) {
        String name = "site-" + i;
        String namespace = ns(i % NAMESPACES);
        String host = name + ".example.com";
        TestCertificates.Issued issued = ca.issue(TestCertificates.leaf(host).sans(host));
        client.secrets().resource(new SecretBuilder()
                .withNewMetadata().withName(name + "-tls").withNamespace(namespace).endMetadata()
                .withType("kubernetes.io/tls")
                .withData(Map.of(
                        "tls.crt", base64(TestCertificates.certificatePem(issued.chain())),
                        "tls.key", base64(TestCertificates.keyPem(issued.key(), TestCertificates.KeyFormat.PKCS8))))
                .build()).create();
        client.resources(ProxySiteResource.class).load(new java.io.ByteArrayInputStream("""
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: %s, namespace: %s}
                spec:
                  hosts: ["%s"]
                  tls:
                    certificates: [{secretName: %s-tls}]
                    httpRedirect: true
                  routes:
                    - match: {path: {value: /}}
                      backend: {service: app, port: 8000}
                """.formatted(name, namespace, host, name).getBytes(StandardCharsets.UTF_8))).create();
    }

    private static long awaitAllProgrammed(KubernetesClient client, int sites, OperatorProcess operator) {
        await().atMost(Duration.ofMinutes(20)).pollInterval(Duration.ofSeconds(5)).until(() -> {
            operator.requireAlive();
            return client.resources(ProxySiteResource.class).inAnyNamespace().list().getItems().stream()
                    .filter(site -> site.getStatus() != null && site.getStatus().conditions().stream()
                            .anyMatch(c -> c.type().equals("Programmed") && c.status().equals("True")))
                    .count() == sites;
        });
        return System.nanoTime() - operator.startedAt;
    }

    private static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    private static String random(int seed, int length) {
        Random random = new Random(seed);
        StringBuilder text = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            text.append((char) ('!' + random.nextInt(94)));
        }
        return text.toString();
    }

    /** {@code OperatorMain} in a JVM of its own, with the environment deploy/ gives it. */
    private static final class OperatorProcess implements AutoCloseable {

        private final Process process;
        private final Path log;
        private final int healthPort;
        final long startedAt;
        private final HttpClient http = HttpClient.newHttpClient();

        private OperatorProcess(Process process, Path log, int healthPort, long startedAt) {
            this.process = process;
            this.log = log;
            this.healthPort = healthPort;
            this.startedAt = startedAt;
        }

        static OperatorProcess start(Testbed testbed, Path root, String name, long memory) throws IOException {
            Path kubeconfig = testbed.serviceAccountKubeconfig(ShippedOperator.NAMESPACE, ShippedOperator.SERVICE_ACCOUNT,
                    root.resolve(name + ".kubeconfig"));
            int port;
            try (ServerSocket socket = new ServerSocket(0)) {
                port = socket.getLocalPort();
            }
            String java = ProcessHandle.current().info().command().orElse("java");
            ProcessBuilder builder = new ProcessBuilder(java, HEAP, "-XX:+ExitOnOutOfMemoryError",
                    // The container's memory limit, as the JVM would read it from its cgroup.
                    "-XX:MaxRAM=" + memory,
                    "-cp", System.getProperty("java.class.path"), "dev.portico.operator.OperatorMain")
                    .redirectErrorStream(true)
                    .redirectOutput(root.resolve(name + ".log").toFile());
            Path log = root.resolve(name + ".log");
            builder.environment().putAll(Map.of(
                    "KUBECONFIG", kubeconfig.toString(),
                    "PORTICO_NAMESPACE", ShippedOperator.NAMESPACE,
                    "PORTICO_PROXY_IMAGE", ShippedOperator.PROXY_IMAGE,
                    "PORTICO_HEALTH_PORT", Integer.toString(port)));
            long startedAt = System.nanoTime();
            return new OperatorProcess(builder.start(), log, port, startedAt);
        }

        /** Nanoseconds from the process start to {@code /readyz} answering 200; -1 if the process exited. */
        long awaitReady() {
            await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofMillis(100)).until(() -> {
                if (!process.isAlive()) {
                    return true;
                }
                try {
                    return get("/readyz").statusCode() == 200;
                } catch (IOException e) {
                    return false; // not listening yet
                }
            });
            return process.isAlive() ? System.nanoTime() - startedAt : -1;
        }

        /** The last line of the operator's log: the JVM's reason when it exited. */
        String exitReason() throws IOException {
            List<String> lines = java.nio.file.Files.readAllLines(log);
            return "exit " + process.exitValue() + ": " + (lines.isEmpty() ? "" : lines.get(lines.size() - 1));
        }

        void requireAlive() {
            if (!process.isAlive()) {
                throw new IllegalStateException("the operator exited with " + process.exitValue());
            }
        }

        /**
         * The live heap: what the class histogram counts, which jcmd takes right after a full
         * collection. (Reading the heap pools over /metrics afterwards also counts what the
         * operator allocated in between, tens of MB while it re-verifies every pod.) The
         * classes holding most of it go to the report.
         */
        long liveHeapMegabytes() throws Exception {
            String jcmd = Path.of(ProcessHandle.current().info().command().orElseThrow()).resolveSibling("jcmd").toString();
            Process histogram = new ProcessBuilder(jcmd, Long.toString(process.pid()), "GC.class_histogram")
                    .redirectErrorStream(true).start();
            List<String> lines = new String(histogram.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines()
                    .toList();
            if (!histogram.waitFor(60, TimeUnit.SECONDS) || histogram.exitValue() != 0) {
                throw new IllegalStateException("jcmd GC.class_histogram failed: " + lines);
            }
            lines.stream().filter(line -> line.matches("\\s*[0-9]+:.*")).limit(12)
                    .forEach(line -> System.out.println("FOOTPRINT histogram " + line.trim()));
            Matcher total = HISTOGRAM_TOTAL.matcher(String.join("\n", lines));
            if (!total.find()) {
                throw new IllegalStateException("no Total in the class histogram");
            }
            return Math.round(Long.parseLong(total.group(1)) / (double) (1 << 20));
        }

        private HttpResponse<String> get(String path) throws IOException, InterruptedException {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + healthPort + path))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy(); // SIGTERM: the operator's own shutdown
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
    }
}
