package dev.portico.operator.e2e;

import static dev.portico.operator.e2e.ClusterStandIn.condition;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portico.crds.ProxySiteLoader;
import dev.portico.crds.v1alpha1.ProxySiteStatus;
import dev.portico.operator.acme.Pebble;
import dev.portico.operator.testbed.ClusterTest;
import dev.portico.operator.testbed.Testbed;
import dev.portico.operator.testbed.TestbedKubelet;
import dev.portico.runtime.testing.TestBackend;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Secret;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * ACME through the operator as shipped, on the real control plane, against a real ACME server (Pebble) whose
 * HTTP-01 validations reach the proxy pods the testbed's kubelet runs: the site starts on a placeholder while the
 * CA is down (status, one Event, no hot loop), the first certificate is issued once the CA is back with each
 * replica answering for the host that resolves to it, replaces the placeholder on the open connection's pod
 * without closing it, and is renewed before its short life ends.
 */
@ClusterTest
@Timeout(480)
class AcmeClusterTest {

    private static final String NS = "acme-e2e";
    private static final String SITE = "shop";
    private static final Duration CONVERGE = Duration.ofSeconds(60);

    @TempDir
    Path root;

    private static String site(String email, String directory) {
        return """
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: %s, namespace: %s}
                spec:
                  hosts: ["a.example.com", "b.example.com"]
                  replicas: 2
                  tls:
                    acme: {email: %s, directory: "%s", secretName: shop-tls}
                  routes:
                    - backend: {service: app, port: 8000}
                """.formatted(SITE, NS, email, directory);
    }

    @Test
    void placeholderWhileTheCaIsDownThenIssuedByEveryReplicaThenRenewed(Testbed testbed) throws Exception {
        try (TestBackend app = TestBackend.start("app");
             Pebble pebble = new Pebble(root.resolve("pebble"), 8080, Duration.ofSeconds(90));
             ClusterStandIn cluster = new ClusterStandIn(testbed, root.resolve("cluster"))) {
            cluster.restartOperator(Map.of("PORTICO_ACME_CA_FILE", pebble.caFile().toString()));
            cluster.services.put("app", 8000, app);
            pebble.stop();
            cluster.apply(ProxySiteLoader.parse(site("ops@portico.dev", pebble.directory())));

            // The CA is down: the site runs anyway, on a placeholder, and says why.
            List<TestbedKubelet.RunningPod> pods = cluster.awaitPods(NS, SITE, 2);
            ProxySiteStatus down = await().atMost(CONVERGE).until(() -> cluster.status(NS, SITE),
                    s -> s != null && "CAUnreachable".equals(condition(s, "CertificateReady").reason()));
            assertThat(condition(down, "CertificateReady").status()).isEqualTo("False");
            assertThat(condition(down, "CertificateReady").message()).contains("cannot reach the CA")
                    .contains("a self-signed placeholder serves meanwhile").contains("next attempt at");
            cluster.awaitProgrammed(NS, SITE);
            for (TestbedKubelet.RunningPod pod : pods) {
                assertThat(leaf(pod, "a.example.com").getSubjectX500Principal().getName()).contains("Portico placeholder");
                assertThat(get(pod, "a.example.com")).startsWith("HTTP/1.1 301");
            }
            Thread.sleep(5_000);
            assertThat(warnings(cluster, "CAUnreachable")).as("one attempt, then a minute of backoff: no hot loop")
                    .hasSize(1);

            // The CA is back; each host resolves to one replica, so issuance needs both to answer.
            pebble.resolve("a.example.com", List.of(pods.get(0).ip()));
            pebble.resolve("b.example.com", List.of(pods.get(1).ip()));
            pebble.start();
            try (SSLSocket open = tls(pods.get(0), "a.example.com")) {
                assertThat(request(open, "a.example.com")).startsWith("HTTP/1.1 200");
                // A changed tls.acme is a new attempt at once, not after the backoff.
                cluster.edit(NS, SITE, yaml -> yaml.replace("ops@portico.dev", "web@portico.dev"));

                ProxySiteStatus issued = await().atMost(CONVERGE).until(() -> cluster.status(NS, SITE),
                        s -> "True".equals(condition(s, "CertificateReady").status()));
                assertThat(condition(issued, "CertificateReady").message()).contains("valid until");
                Secret secret = cluster.client.secrets().inNamespace(NS).withName("shop-tls").get();
                assertThat(secret.getType()).isEqualTo("kubernetes.io/tls");
                assertThat(secret.getMetadata().getOwnerReferences()).as("kept when the site goes").isNullOrEmpty();
                X509Certificate first = chain(secret).get(0);
                assertThat(first.getIssuerX500Principal().getName()).contains("Pebble");
                for (TestbedKubelet.RunningPod pod : pods) {
                    for (String host : List.of("a.example.com", "b.example.com")) {
                        await().atMost(CONVERGE).until(() -> leaf(pod, host).getSerialNumber(),
                                serial -> serial.equals(first.getSerialNumber()));
                    }
                }
                assertThat(request(open, "a.example.com")).as("the connection opened on the placeholder")
                        .startsWith("HTTP/1.1 200");
                assertThat(events(cluster, "Issued")).singleElement().satisfies(e -> {
                    assertThat(e.getType()).isEqualTo("Normal");
                    assertThat(e.getMessage()).contains("a.example.com, b.example.com").contains("Pebble");
                });

                // Renewal: two thirds into a 90 s life (or sooner, if Pebble's renewal info says so).
                X509Certificate renewed = await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1))
                        .until(() -> chain(cluster.client.secrets().inNamespace(NS).withName("shop-tls").get()).get(0),
                                leaf -> !leaf.getSerialNumber().equals(first.getSerialNumber()));
                assertThat(renewed.getNotBefore()).isAfter(first.getNotBefore());
                assertThat(pebble.log()).as("the renewal order names the certificate it replaces (RFC 9773)")
                        .contains("is a replacement of");
                assertThat(first.getNotAfter().toInstant()).as("renewed before the old one ended")
                        .isAfter(java.time.Instant.now());
                for (TestbedKubelet.RunningPod pod : pods) {
                    await().atMost(CONVERGE).until(() -> leaf(pod, "b.example.com").getSerialNumber(),
                            serial -> serial.equals(renewed.getSerialNumber()));
                }
            }
        }
    }

    private static List<Event> events(ClusterStandIn cluster, String reason) {
        return cluster.client.v1().events().inNamespace(NS).list().getItems().stream()
                .filter(e -> SITE.equals(e.getInvolvedObject().getName()) && reason.equals(e.getReason()))
                .toList();
    }

    private static List<Event> warnings(ClusterStandIn cluster, String reason) {
        return events(cluster, reason).stream().filter(e -> "Warning".equals(e.getType())).toList();
    }

    private static List<X509Certificate> chain(Secret secret) throws Exception {
        byte[] pem = Base64.getDecoder().decode(secret.getData().get("tls.crt"));
        return CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(pem)).stream()
                .map(X509Certificate.class::cast).toList();
    }

    /** The certificate a pod's TLS listener serves for {@code sni}. */
    private static X509Certificate leaf(TestbedKubelet.RunningPod pod, String sni) throws IOException {
        try (SSLSocket socket = tls(pod, sni)) {
            return (X509Certificate) socket.getSession().getPeerCertificates()[0];
        }
    }

    /** A TLS connection to the pod that trusts anything: these tests look at what is served, not at trust. */
    private static SSLSocket tls(TestbedKubelet.RunningPod pod, String sni) throws IOException {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {new X509TrustManager() {
                @Override
                public void checkClientTrusted(X509Certificate[] chain, String type) { }

                @Override
                public void checkServerTrusted(X509Certificate[] chain, String type) { }

                @Override
                public X509Certificate[] getAcceptedIssuers() {
                    return new X509Certificate[0];
                }
            }}, null);
            SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket();
            socket.connect(new InetSocketAddress(pod.ip(), pod.runtime().httpsPort()), 5_000);
            socket.setSoTimeout(10_000);
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setServerNames(List.of(new SNIHostName(sni)));
            parameters.setApplicationProtocols(new String[] {"http/1.1"});
            socket.setSSLParameters(parameters);
            socket.startHandshake();
            return socket;
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException(e);
        }
    }

    /** One GET / on an open keep-alive connection; the status line and headers. */
    private static String request(SSLSocket socket, String host) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(("GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return readResponse(socket.getInputStream());
    }

    private static String get(TestbedKubelet.RunningPod pod, String host) throws IOException {
        try (java.net.Socket socket = new java.net.Socket(pod.ip(), pod.runtime().httpPort())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("GET / HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    /** Reads a response with a Content-Length body, leaving the connection usable. */
    private static String readResponse(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed after: " + head);
            }
            head.append((char) b);
        }
        int length = 0;
        for (String line : head.toString().split("\r\n")) {
            if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        in.readNBytes(length);
        return head.toString();
    }
}
