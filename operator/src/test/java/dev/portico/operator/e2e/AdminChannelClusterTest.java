package dev.portico.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.awaitility.Awaitility.await;

import dev.portico.crds.ProxySiteLoader;
import dev.portico.crds.v1alpha1.ProxySiteStatus;
import dev.portico.operator.pki.AdminCa;
import dev.portico.operator.pki.AdminCaStore;
import dev.portico.operator.pki.PodTrustManager;
import dev.portico.operator.pki.ServingCertificate;
import dev.portico.operator.testbed.ClusterTest;
import dev.portico.operator.testbed.ShippedOperator;
import dev.portico.operator.testbed.Testbed;
import dev.portico.operator.testbed.TestbedKubelet;
import dev.portico.runtime.testing.RawHttpClient;
import dev.portico.runtime.testing.RawResponse;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin channel on the real control plane (docs/config-push.md, "The admin channel"): the
 * operator keeps its admin CA in portico-system, each site's pods serve their admin port over
 * TLS only with a certificate of that CA naming the site's Service, and pushes go through it.
 * With lifetimes shortened to seconds, pod certificates are renewed and the CA rotates and
 * retires its predecessor while a client keeps sending requests: none fails, no pod restarts,
 * and no push is refused.
 */
@ClusterTest
@Timeout(360)
class AdminChannelClusterTest {

    private static final String SITE = "guarded";
    private static final String HOST = "guarded.example.com";

    @TempDir
    Path root;

    @Test
    void aSitesPodsServeTheirAdminPortOverTlsOnlyWithACertificateOfTheAdminCa(Testbed testbed) throws Exception {
        String ns = "admin-channel";
        String serviceName = SITE + "-proxy." + ns + ".svc";
        try (ClusterStandIn cluster = new ClusterStandIn(testbed, root)) {
            cluster.apply(ProxySiteLoader.parse(site(ns, "v1")));
            List<TestbedKubelet.RunningPod> pods = cluster.awaitPods(ns, SITE, 2);
            cluster.awaitProgrammed(ns, SITE);

            AdminCa ca = adminCa(testbed);
            Secret adminSecret = cluster.client.secrets().inNamespace(ns).withName(SITE + "-proxy-admin").get();
            assertThat(adminSecret.getData()).containsOnlyKeys("token", "tls.crt", "tls.key");
            ServingCertificate issued = ServingCertificate.read(ClusterStandIn.decode(adminSecret, "tls.crt"),
                    ClusterStandIn.decode(adminSecret, "tls.key")).orElseThrow();
            assertThat(ServingCertificate.dnsNames(issued.leaf()))
                    .containsExactly(serviceName, serviceName + ".cluster.local");
            PodTrustManager operatorsCheck = new PodTrustManager(ca::trusted, (h, p) -> null, Clock.systemUTC());
            for (TestbedKubelet.RunningPod pod : pods) {
                X509Certificate[] presented = presented(pod);
                assertThat(presented[0]).as("pod %s serves the issued certificate", pod.name()).isEqualTo(issued.leaf());
                assertThatCode(() -> operatorsCheck.verify(presented, serviceName)).doesNotThrowAnyException();
                assertThat(plainHttpAnswer(pod)).as("plain HTTP to pod %s's admin port", pod.name())
                        .doesNotContain("HTTP/1.1");
            }
            Deployment deployment = cluster.client.apps().deployments().inNamespace(ns).withName(SITE + "-proxy").get();
            var container = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
            assertThat(container.getReadinessProbe().getHttpGet().getScheme()).isEqualTo("HTTPS");
            assertThat(container.getLivenessProbe().getHttpGet().getScheme()).isEqualTo("HTTPS");

            // A push through the TLS channel: the edit reaches the running pods.
            cluster.edit(ns, SITE, yaml -> yaml.replace("body: v1", "body: v2"));
            cluster.awaitProgrammed(ns, SITE);
            for (TestbedKubelet.RunningPod pod : pods) {
                assertThat(get(pod).bodyText()).isEqualTo("v2");
            }

            // Prometheus needs neither the admin CA nor the token: the pod's "metrics" port answers GET /metrics
            // in plain HTTP, where the push just made shows, and takes no push.
            int metricsPort = container.getPorts().stream().filter(p -> p.getName().equals("metrics")).findFirst()
                    .orElseThrow().getContainerPort();
            for (TestbedKubelet.RunningPod pod : pods) {
                assertThat(pod.runtime().metricsPort()).isEqualTo(metricsPort);
                RawResponse metrics = metricsPort(pod, metricsPort, "GET /metrics");
                assertThat(metrics.status()).isEqualTo(200);
                assertThat(metrics.bodyText()).containsPattern("(?m)^portico_config_push_total\\{outcome=\"applied\"} [1-9]");
                assertThat(metricsPort(pod, metricsPort, "PUT /config").status()).isEqualTo(404);
            }
        }
    }

    private static RawResponse metricsPort(TestbedKubelet.RunningPod pod, int port, String request) throws IOException {
        try (RawHttpClient http = RawHttpClient.over(new Socket(pod.ip(), port))) {
            return http.send(request + " HTTP/1.1\r\nHost: " + pod.ip() + "\r\nContent-Length: 0\r\n"
                    + "Connection: close\r\n\r\n").readResponse();
        }
    }

    @Test
    void podCertificatesRenewAndTheCaRotatesWithoutAFailedRequestARestartOrARefusedPush(Testbed testbed)
            throws Exception {
        String ns = "admin-rotation";
        String serviceName = SITE + "-proxy." + ns + ".svc";
        try (ClusterStandIn cluster = new ClusterStandIn(testbed, root)) {
            // Two thirds of 30 s: a pod certificate is renewed every 20 s or so; the CA rotates
            // 60 s into its 90 s (at once if the CA kept in portico-system is older than that).
            cluster.restartOperator(Map.of("PORTICO_ADMIN_CA_VALIDITY", "90s", "PORTICO_ADMIN_CERT_VALIDITY", "30s"));
            cluster.apply(ProxySiteLoader.parse(site(ns, "v1")));
            List<TestbedKubelet.RunningPod> pods = cluster.awaitPods(ns, SITE, 2);
            cluster.awaitProgrammed(ns, SITE);
            Set<String> uids = pods.stream().map(TestbedKubelet.RunningPod::uid).collect(Collectors.toSet());

            AtomicBoolean running = new AtomicBoolean(true);
            AtomicInteger served = new AtomicInteger();
            ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
            Thread client = new Thread(() -> {
                for (int next = 0; running.get(); next++) {
                    TestbedKubelet.RunningPod pod = pods.get(next % pods.size());
                    try {
                        RawResponse response = get(pod);
                        if (response.status() != 200) {
                            failures.add(pod.name() + ": " + response.status() + " " + response.bodyText());
                        } else {
                            served.incrementAndGet();
                        }
                    } catch (IOException e) {
                        failures.add(pod.name() + ": " + e);
                    }
                }
            }, "admin-channel-client");

            // What the CA Secret, the pods' admin ports and the site's status show, sampled.
            List<String> caStates = new ArrayList<>(); // "<issuing serial>" or "<issuing serial>+previous"
            Map<String, Set<String>> leavesByPod = new ConcurrentHashMap<>();
            ConcurrentLinkedQueue<String> refusals = new ConcurrentLinkedQueue<>();
            Thread sampler = new Thread(() -> {
                while (running.get()) {
                    try {
                        AdminCa ca = adminCa(testbed);
                        String state = ca.issuing().certificate().getSerialNumber().toString(16)
                                + (ca.rotating() ? "+previous" : "");
                        synchronized (caStates) {
                            if (caStates.isEmpty() || !caStates.get(caStates.size() - 1).equals(state)) {
                                caStates.add(state);
                            }
                        }
                        for (TestbedKubelet.RunningPod pod : pods) {
                            X509Certificate leaf = presented(pod)[0];
                            leavesByPod.computeIfAbsent(pod.name(), n -> new LinkedHashSet<>())
                                    .add(leaf.getSerialNumber().toString(16));
                        }
                        ProxySiteStatus status = cluster.status(ns, SITE);
                        String message = ClusterStandIn.condition(status, "Programmed").message();
                        if (message != null && (message.contains("refused") || message.contains("certificate"))) {
                            refusals.add(message);
                        }
                        Thread.sleep(250);
                    } catch (Exception e) {
                        failures.add("sampler: " + e);
                    }
                }
            }, "admin-channel-sampler");
            client.start();
            sampler.start();

            // A rotation (previous CA trusted) that ends retired (previous dropped), and renewals on every pod.
            await().atMost(Duration.ofSeconds(200)).pollInterval(Duration.ofSeconds(1)).until(() -> {
                synchronized (caStates) {
                    int rotating = -1;
                    for (int i = 0; i < caStates.size(); i++) {
                        if (caStates.get(i).endsWith("+previous")) {
                            rotating = i;
                        } else if (rotating >= 0) {
                            return leavesByPod.size() == 2 && leavesByPod.values().stream().allMatch(l -> l.size() >= 3);
                        }
                    }
                    return false;
                }
            });
            // Pushes still work under the new CA.
            cluster.edit(ns, SITE, yaml -> yaml.replace("body: v1", "body: v2"));
            cluster.awaitProgrammed(ns, SITE);
            for (TestbedKubelet.RunningPod pod : pods) {
                assertThat(get(pod).bodyText()).isEqualTo("v2");
            }
            running.set(false);
            client.join();
            sampler.join();

            assertThat(failures).as("requests that failed while certificates and the CA changed").isEmpty();
            assertThat(served.get()).isGreaterThan(100);
            assertThat(refusals).as("pushes refused on the way").isEmpty();
            assertThat(cluster.kubelet().podsOf(ns, SITE)).extracting(TestbedKubelet.RunningPod::uid)
                    .as("no pod was replaced").containsExactlyInAnyOrderElementsOf(uids);
            assertThat(cluster.kubelet().podsOf(ns, SITE)).allSatisfy(p -> assertThat(p.restarts()).isZero());
            for (Pod pod : testbed.admin().pods().inNamespace(ns).withLabel("app.kubernetes.io/instance", SITE).list()
                    .getItems()) {
                assertThat(pod.getStatus().getContainerStatuses().get(0).getRestartCount()).isZero();
            }
            // Each pod now serves a certificate of the CA that issues, and only that CA is trusted.
            AdminCa ca = adminCa(testbed);
            assertThat(ca.rotating()).isFalse();
            for (TestbedKubelet.RunningPod pod : pods) {
                X509Certificate[] presented = presented(pod);
                assertThatCode(() -> new PodTrustManager(ca::trusted, (h, p) -> null, Clock.systemUTC())
                        .verify(presented, serviceName)).doesNotThrowAnyException();
            }
            System.out.println("[admin-channel] CA states " + caStates + ", pod certificates " + leavesByPod
                    + ", requests " + served.get());
        }
    }

    private static AdminCa adminCa(Testbed testbed) {
        Secret secret = testbed.admin().secrets().inNamespace(ShippedOperator.NAMESPACE)
                .withName(AdminCaStore.SECRET_NAME).require();
        Map<String, String> data = new HashMap<>();
        secret.getData().forEach((k, v) -> data.put(k, new String(Base64.getDecoder().decode(v), StandardCharsets.US_ASCII)));
        return AdminCa.fromData(data);
    }

    /** The chain a pod's admin port presents; accepted blindly here, checked by the callers. */
    private static X509Certificate[] presented(TestbedKubelet.RunningPod pod) throws Exception {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[] {new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {}

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {}

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, null);
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(pod.ip(), pod.runtime().adminPort())) {
            socket.setSoTimeout(5_000);
            socket.startHandshake();
            return (X509Certificate[]) socket.getSession().getPeerCertificates();
        }
    }

    private static String plainHttpAnswer(TestbedKubelet.RunningPod pod) throws IOException {
        try (RawHttpClient http = RawHttpClient.over(new Socket(pod.ip(), pod.runtime().adminPort()))) {
            http.send("GET /healthz HTTP/1.1\r\nHost: admin\r\nConnection: close\r\n\r\n");
            return new String(http.readUntilClosedOrReset(), StandardCharsets.ISO_8859_1);
        }
    }

    private static RawResponse get(TestbedKubelet.RunningPod pod) throws IOException {
        try (RawHttpClient http = RawHttpClient.over(new Socket(pod.ip(), pod.runtime().httpPort()))) {
            return http.send("GET /version HTTP/1.1\r\nHost: " + HOST + "\r\nConnection: close\r\n\r\n").readResponse();
        }
    }

    private static String site(String namespace, String version) {
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
                """.formatted(SITE, namespace, HOST, version);
    }
}
