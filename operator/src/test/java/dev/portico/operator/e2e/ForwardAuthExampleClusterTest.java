package dev.portico.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.operator.testbed.ClusterTest;
import dev.portico.operator.testbed.Testbed;
import dev.portico.operator.testbed.TestbedKubelet;
import dev.portico.runtime.testing.RawHttpClient;
import dev.portico.runtime.testing.RawResponse;
import dev.portico.runtime.testing.RecordedRequest;
import dev.portico.runtime.testing.TestAuthService;
import dev.portico.runtime.testing.TestBackend;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/examples/authentik-forward-auth.yaml as a user applies it, on the real control plane with the operator as
 * shipped and real runtimes in the pods: an auth service answering as authentik's /auth/traefik endpoint stands in
 * for authentik-server.authentik:80, a test backend for the app. Every pod sends a browser without a session to the
 * login, lets one with a session through with authentik's identity headers (and not the client's), and serves the
 * outpost path without asking.
 */
@ClusterTest
@Timeout(240)
class ForwardAuthExampleClusterTest {

    private static final String NAMESPACE = "apps";
    private static final String HOST = "whoami.example.com";

    @TempDir
    Path root;
    private ClusterStandIn cluster;
    private TestAuthService authentik;
    private TestBackend whoami;

    @BeforeEach
    void start(Testbed testbed) {
        cluster = new ClusterStandIn(testbed, root);
        authentik = TestAuthService.start();
        whoami = TestBackend.start("whoami");
        cluster.services.put("authentik-server.authentik", 80, authentik.port());
        cluster.services.put("whoami", 80, whoami);
        cluster.tlsSecret(NAMESPACE, "whoami-tls", HOST);
    }

    @AfterEach
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
        authentik.close();
        whoami.close();
    }

    @Test
    void everyPodAsksAuthentikFirst() throws IOException {
        cluster.applyExample("authentik-forward-auth.yaml");
        List<TestbedKubelet.RunningPod> pods = cluster.awaitPods(NAMESPACE, "whoami", 2);
        cluster.awaitProgrammed(NAMESPACE, "whoami");

        for (TestbedKubelet.RunningPod pod : pods) {
            authentik.seen.clear();
            RawResponse login = get(pod, "/dashboard?tab=1");
            assertThat(login.status()).as(pod.name()).isEqualTo(302);
            assertThat(login.header("Location")).isEqualTo("/outpost.goauthentik.io/start?rd=/dashboard?tab=1");
            assertThat(login.headers("Set-Cookie")).hasSize(2);
            TestAuthService.Seen asked = authentik.seen.get(0);
            assertThat(asked.uri()).isEqualTo("/outpost.goauthentik.io/auth/traefik");
            assertThat(asked.header("X-Forwarded-Proto")).isEqualTo("https");
            assertThat(asked.header("X-Forwarded-Host")).isEqualTo(HOST);

            RawResponse app = get(pod, "/dashboard", "Cookie: session=akadmin", "X-authentik-username: root");
            assertThat(app.status()).as(pod.name()).isEqualTo(200);
            RecordedRequest upstream = whoami.takeRequest();
            assertThat(upstream.headers("X-authentik-username")).containsExactly("akadmin");
            assertThat(upstream.header("X-authentik-groups")).isEqualTo("admins|users");

            authentik.seen.clear();
            get(pod, "/outpost.goauthentik.io/callback?code=x");
            assertThat(authentik.seen).singleElement()
                    .satisfies(s -> assertThat(s.uri()).isEqualTo("/outpost.goauthentik.io/callback?code=x"));
        }
    }

    private RawResponse get(TestbedKubelet.RunningPod pod, String target, String... headers) throws IOException {
        try (SSLSocket socket = Clients.tls(cluster.ca.clientContext(), pod.ip(), pod.runtime().httpsPort(), HOST);
             RawHttpClient client = RawHttpClient.over(socket)) {
            StringBuilder raw = new StringBuilder("GET " + target + " HTTP/1.1\r\nHost: " + HOST + "\r\n");
            for (String header : headers) {
                raw.append(header).append("\r\n");
            }
            client.send(raw.append("Connection: close\r\n\r\n").toString());
            return client.readResponse();
        }
    }
}
