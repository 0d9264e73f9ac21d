package dev.portico.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.operator.testbed.ClusterTest;
import dev.portico.operator.testbed.Testbed;
import dev.portico.operator.testbed.TestbedKubelet;
import dev.portico.runtime.testing.RawHttpClient;
import dev.portico.runtime.testing.RawResponse;
import dev.portico.runtime.testing.RecordedRequest;
import dev.portico.runtime.testing.TestBackend;
import java.net.Socket;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/quickstart.md from step 3 on, as its commands say, on the real control plane: the
 * example applied with kubectl, then {@code kubectl wait --for=condition=Ready}; once that
 * returns, every proxy pod answers through the proxy at once, with the strict headers and
 * the forwarded headers nginx would see. (Building images and a kind cluster are what this
 * machine cannot do; the images' names are held to deploy/'s by ImageVersionsTest.)
 */
@ClusterTest
@Timeout(240)
class QuickstartClusterTest {

    private static final String NAMESPACE = "default";

    @TempDir
    Path root;

    @Test
    void theQuickstartSiteServesOnceReady(Testbed testbed) throws Exception {
        try (TestBackend hello = TestBackend.start("hello");
             ClusterStandIn cluster = new ClusterStandIn(testbed, root)) {
            cluster.services.put("hello", 8000, hello);
            try {
                // Step 4's `kubectl expose deployment hello --port=8000 --target-port=80`.
                testbed.kubectl("create", "service", "clusterip", "hello", "--tcp=8000:80", "-n", NAMESPACE)
                        .requireSuccess();
                // Step 4's hello pod (`kubectl create deployment hello`), as the Service's EndpointSlice would
                // list it (kubectl names the port "8000-80"): the proxy sends to pods, and nothing here runs it.
                cluster.podEndpoint(NAMESPACE, "hello", "8000-80", 8000, 80);
                // Step 5.
                testbed.kubectl("apply", "-f", Testbed.repo().resolve("deploy/examples/hello-cluster.yaml").toString())
                        .requireSuccess();
                testbed.kubectl("wait", "--for=condition=Ready", "psite/hello", "-n", NAMESPACE, "--timeout=150s")
                        .requireSuccess();

                // Step 6, on each pod: Ready meant serving, so nothing is awaited here.
                for (TestbedKubelet.RunningPod pod : cluster.awaitPods(NAMESPACE, "hello", 2)) {
                    try (Socket socket = new Socket(pod.ip(), pod.runtime().httpPort());
                         RawHttpClient client = RawHttpClient.over(socket)) {
                        RawResponse response = client.send("GET / HTTP/1.1\r\nHost: localhost:8080\r\n\r\n").readResponse();
                        assertThat(response.status()).as("%s", response).isEqualTo(200);
                        assertThat(response.header("X-Content-Type-Options")).isEqualTo("nosniff");
                        RecordedRequest seen = hello.takeRequest();
                        assertThat(seen.header("X-Forwarded-For")).isEqualTo(socket.getLocalAddress().getHostAddress());
                        assertThat(seen.header("X-Real-IP")).isEqualTo(socket.getLocalAddress().getHostAddress());
                    }
                }
            } finally {
                testbed.kubectl("delete", "-f", Testbed.repo().resolve("deploy/examples/hello-cluster.yaml").toString(),
                        "--ignore-not-found");
                testbed.kubectl("delete", "service", "hello", "-n", NAMESPACE, "--ignore-not-found");
            }
        }
    }
}
