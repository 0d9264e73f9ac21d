package dev.portico.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portico.runtime.testing.TestBackend;
import dev.portico.operator.testbed.ClusterTest;
import dev.portico.operator.testbed.Testbed;
import dev.portico.operator.testbed.TestbedKubelet;
import java.io.IOException;
import java.math.BigInteger;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * One seed app's guide, end to end, on the real control plane: the app's example from
 * deploy/examples/ applied, the operator as shipped, the real Deployment and ReplicaSet
 * controllers making two Pods per site that the testbed's kubelet runs, test backends in
 * place of the app's Services. Every requirement of the guide is checked on every pod, then
 * again after a route change and a certificate rotation that the operator pushes, while a
 * long-lived stream (a WebSocket, or SSE) stays open throughout.
 */
@ClusterTest
@Timeout(240)
abstract class SeedGuideEndToEnd {

    static final int PODS_PER_SITE = 2;

    @TempDir
    Path root;

    ClusterStandIn cluster;
    private final List<TestBackend> backends = new ArrayList<>();
    private final Map<String, List<TestbedKubelet.RunningPod>> pods = new LinkedHashMap<>();

    /** The example's namespace. */
    abstract String namespace();

    /** The example file in deploy/examples/. */
    abstract String example();

    /** Site name to its host, for each ProxySite of the example. */
    abstract Map<String, String> hosts();

    /** Starts the app's backends and registers them under the example's Service names and ports. */
    abstract void startBackends();

    /** Every requirement and "verify" step of the guide, on one pod of one site. */
    abstract void verifyTheGuide(String site, GuideChecks checks) throws Exception;

    /** A change a user would make to the example that the operator pushes; returns the site edited. */
    abstract String changeARoute();

    /** A stream the app keeps open for long (a WebSocket or SSE), opened on a pod. */
    abstract HeldStream holdAStream(GuideChecks checks) throws IOException;

    /** A long-lived stream that must survive config changes. */
    interface HeldStream {
        void assertStillOpen() throws IOException;
    }

    TestBackend backend(String name) {
        TestBackend backend = TestBackend.start(name);
        backends.add(backend);
        return backend;
    }

    TestBackend tlsBackend(String name) {
        TestBackend backend = TestBackend.startTls(name);
        backends.add(backend);
        return backend;
    }

    @BeforeEach
    void deploy(Testbed testbed) {
        cluster = new ClusterStandIn(testbed, root);
        startBackends();
        certificates().forEach((secret, host) -> cluster.tlsSecret(namespace(), secret, host));
        cluster.applyExample(example());
        for (String site : hosts().keySet()) {
            pods.put(site, cluster.awaitPods(namespace(), site, PODS_PER_SITE));
        }
        hosts().keySet().forEach(site -> cluster.awaitProgrammed(namespace(), site));
    }

    /** TLS Secret name to the host it is for, as the example references them. */
    abstract Map<String, String> certificates();

    @AfterEach
    void tearDown() {
        if (cluster != null) {
            cluster.close();
        }
        backends.forEach(TestBackend::close);
    }

    @Test
    void theGuideHoldsOnEveryPodAcrossARouteChangeAndACertificateRotation() throws Exception {
        verifyEveryPod();
        String firstSite = hosts().keySet().iterator().next();
        HeldStream held = holdAStream(checks(firstSite, pods.get(firstSite).get(0)));

        Map<String, String> before = new LinkedHashMap<>();
        hosts().keySet().forEach(site -> before.put(site, cluster.status(namespace(), site).configHash()));
        String edited = changeARoute();
        // Until the operator has rendered the edit, the old bundle still counts as programmed.
        String after = await().atMost(ClusterStandIn.CONVERGE).until(
                () -> cluster.programmed(namespace(), edited) ? cluster.status(namespace(), edited).configHash() : null,
                hash -> hash != null && !hash.equals(before.get(edited)));
        assertThat(after).as("the edit reached every pod").isNotEqualTo(before.get(edited));
        held.assertStillOpen();

        // cert-manager renews every certificate: new handshakes get the new ones, on every pod.
        Map<String, BigInteger> renewed = new LinkedHashMap<>();
        hosts().keySet().forEach(site -> before.put(site, cluster.status(namespace(), site).configHash()));
        certificates().forEach((secret, host) ->
                renewed.put(host, cluster.tlsSecret(namespace(), secret, host).leaf().getSerialNumber()));
        for (String site : hosts().keySet()) {
            if (renewed.containsKey(hosts().get(site))) {
                await().atMost(ClusterStandIn.CONVERGE).until(() -> cluster.programmed(namespace(), site)
                        && !cluster.status(namespace(), site).configHash().equals(before.get(site)));
            }
            cluster.awaitProgrammed(namespace(), site);
            for (TestbedKubelet.RunningPod pod : pods.get(site)) {
                try (SSLSocket socket = checks(site, pod).tls()) {
                    assertThat(Clients.peerLeaf(socket).getSerialNumber()).isEqualTo(renewed.get(hosts().get(site)));
                }
            }
        }
        held.assertStillOpen();

        verifyEveryPod();
    }

    private void verifyEveryPod() throws Exception {
        for (Map.Entry<String, List<TestbedKubelet.RunningPod>> site : pods.entrySet()) {
            for (TestbedKubelet.RunningPod pod : site.getValue()) {
                verifyTheGuide(site.getKey(), checks(site.getKey(), pod));
            }
        }
    }

    GuideChecks checks(String site, TestbedKubelet.RunningPod pod) {
        return new GuideChecks(cluster, pod, hosts().get(site));
    }

    /** A WebSocket that must keep echoing. */
    static HeldStream heldWebSocket(GuideChecks checks, String host, String path) throws IOException {
        SSLSocket socket = checks.tls();
        Clients.WebSocketSession websocket = Clients.WebSocketSession.open(socket, host, path);
        assertThat(websocket.handshake.status()).isEqualTo(101);
        return () -> assertThat(websocket.echo("still there?")).isEqualTo("still there?");
    }

    /** An SSE response the backend holds open: reading finds no end of stream. */
    static HeldStream heldEventStream(GuideChecks checks, String host) throws IOException {
        SSLSocket socket = checks.tls();
        socket.getOutputStream().write(("GET /__sse?events=1&hold=true HTTP/1.1\r\nHost: " + host + "\r\n\r\n")
                .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        return () -> {
            socket.setSoTimeout(200);
            try {
                while (socket.getInputStream().read() >= 0) {
                    // the head and the first event; then silence while the backend holds the stream
                }
                throw new AssertionError("the event stream was closed");
            } catch (SocketTimeoutException stillOpen) {
                // nothing more to read, and not closed
            }
        };
    }
}
