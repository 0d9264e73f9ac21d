package dev.portico.runtime.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portico.runtime.testing.FreePorts;
import dev.portico.runtime.testing.RecordedRequest;
import dev.portico.runtime.testing.RuntimeProcess;
import dev.portico.runtime.testing.SiteFiles;
import dev.portico.runtime.testing.TestBackend;
import dev.portico.runtime.tls.TestCertificates;
import dev.portico.runtime.tls.TestCertificates.KeyFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code spec.proxyProtocol} against the real senders: curl's {@code --haproxy-protocol} (v1) and HAProxy's
 * {@code send-proxy-v2}, on both listeners, HTTP/2 by ALPN included, with the runtime as its own process so that
 * its access log (stdout) and refusal lines (stderr) are the real ones. 127.0.0.1 is the only trusted peer;
 * clients bind 127.0.0.9 (or 127.0.0.2 for a stranger), so the address a header carries differs from the TCP peer
 * wherever HAProxy sits between them. curl 7.88 has no {@code --haproxy-clientip}: its header carries the address
 * of its own connection, which HAProxy in plain TCP mode (no header of its own) relays unchanged.
 */
@Timeout(120)
class ProxyProtocolInteropTest {

    private static final String CLIENT = "127.0.0.9";
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static TestBackend backend;
    static RuntimeProcess runtime;
    static int httpsPort;
    static Path caFile;
    static Process haproxy;
    /** HAProxy frontends: a plain TCP relay and a send-proxy-v2 one, to each listener. */
    static int relayHttp;
    static int relayHttps;
    static int v2Http;
    static int v2Https;

    @BeforeAll
    static void start() throws IOException {
        assumeTrue(executable("curl") != null, "curl is not installed (.ci/run installs it)");
        TestCertificates.Ca ca = TestCertificates.newCa("Portico Test CA");
        Path secrets = dir.resolve("secrets");
        TestCertificates.write(secrets, "site-tls", ca.issue(TestCertificates.leaf("site").sans("app.example.com")),
                KeyFormat.PKCS8);
        caFile = Files.writeString(dir.resolve("ca.pem"), TestCertificates.certificatePem(List.of(ca.certificate())));
        backend = TestBackend.start("app");
        httpsPort = FreePorts.next();
        Path site = SiteFiles.write(dir, """
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: pp}
                spec:
                  hosts: ["app.example.com"]
                  tls: {certificates: [{secretName: site-tls}], httpRedirect: false}
                  proxyProtocol: true
                  trustedProxies: {cidrs: ["127.0.0.1/32"]}
                  routes:
                    - backend: {service: 127.0.0.1, port: %d}
                """.formatted(backend.port()));
        runtime = RuntimeProcess.start(site, List.of("-Xmx256m"), "--https-port", Integer.toString(httpsPort),
                "--secrets-dir", secrets.toString());
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (haproxy != null) {
            haproxy.destroy();
            if (!haproxy.waitFor(10, TimeUnit.SECONDS)) {
                haproxy.destroyForcibly();
            }
        }
        if (runtime != null) {
            runtime.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    @Test
    void curlSendsV1OverHttpAndHttpsWithHttp2() throws Exception {
        assertThat(curl("--haproxy-protocol", "http://app.example.com:" + runtime.httpPort() + "/curl-http",
                "--resolve", "app.example.com:" + runtime.httpPort() + ":127.0.0.1")).isEqualTo("200 1.1");
        assertThat(curl("--haproxy-protocol", "--http2", "https://app.example.com:" + httpsPort + "/curl-https",
                "--resolve", "app.example.com:" + httpsPort + ":127.0.0.1")).isEqualTo("200 2");

        // Straight from curl, its header carries the TCP peer's own address.
        assertThat(realIp("/curl-http")).isEqualTo("127.0.0.1");
        assertThat(realIp("/curl-https")).isEqualTo("127.0.0.1");
        assertThat(logLine("/curl-https").get("protocol").asText()).isEqualTo("HTTP/2");
        assertThat(logLine("/curl-http").get("client_ip").asText()).isEqualTo("127.0.0.1");
    }

    @Test
    void curlsV1HeaderThroughATcpRelayNamesTheClientNotTheRelay() throws Exception {
        startHaproxy();
        assertThat(curl("--interface", CLIENT, "--haproxy-protocol",
                "http://app.example.com:" + relayHttp + "/relay-http",
                "--resolve", "app.example.com:" + relayHttp + ":127.0.0.1")).isEqualTo("200 1.1");
        assertThat(curl("--interface", CLIENT, "--haproxy-protocol", "--http2",
                "https://app.example.com:" + relayHttps + "/relay-https",
                "--resolve", "app.example.com:" + relayHttps + ":127.0.0.1")).isEqualTo("200 2");

        for (String path : List.of("/relay-http", "/relay-https")) {
            RecordedRequest seen = request(path);
            assertThat(seen.header("X-Real-IP")).as(path).isEqualTo(CLIENT);
            assertThat(seen.header("X-Forwarded-For")).as(path).isEqualTo(CLIENT);
            JsonNode line = logLine(path);
            assertThat(line.get("client_ip").asText()).as(path).isEqualTo(CLIENT);
            assertThat(line.get("peer").asText()).as(path).isEqualTo(CLIENT);
        }
    }

    @Test
    void haproxySendsV2OverHttpAndHttpsWithHttp2() throws Exception {
        startHaproxy();
        assertThat(curl("--interface", CLIENT, "http://app.example.com:" + v2Http + "/v2-http",
                "--resolve", "app.example.com:" + v2Http + ":127.0.0.1")).isEqualTo("200 1.1");
        assertThat(curl("--interface", CLIENT, "--http2", "https://app.example.com:" + v2Https + "/v2-https",
                "--resolve", "app.example.com:" + v2Https + ":127.0.0.1")).isEqualTo("200 2");

        for (String path : List.of("/v2-http", "/v2-https")) {
            assertThat(request(path).header("X-Real-IP")).as(path).isEqualTo(CLIENT);
            assertThat(logLine(path).get("client_ip").asText()).as(path).isEqualTo(CLIENT);
        }
        assertThat(request("/v2-https").header("X-Forwarded-Proto")).isEqualTo("https");
        assertThat(logLine("/v2-https").get("protocol").asText()).isEqualTo("HTTP/2");
    }

    @Test
    void aStrangerIsRefusedWithALogLineNamingIt() throws Exception {
        double before = metric("portico_proxy_protocol_refused_total{reason=\"untrusted_peer\"}");
        Process curl = curlProcess("--interface", "127.0.0.2", "--haproxy-protocol",
                "http://app.example.com:" + runtime.httpPort() + "/stranger",
                "--resolve", "app.example.com:" + runtime.httpPort() + ":127.0.0.1");
        assertThat(curl.exitValue()).as("curl fails: the connection is reset").isNotZero();

        assertThat(metric("portico_proxy_protocol_refused_total{reason=\"untrusted_peer\"}")).isEqualTo(before + 1);
        await().atMost(WAIT).until(() -> runtime.stderrText().contains("refused a connection from 127.0.0.2:"));
        assertThat(runtime.stderrText()).contains("127.0.0.2 is not in spec.trustedProxies.cidrs");
        assertThat(backend.requests()).extracting(RecordedRequest::uri).doesNotContain("/stranger");
    }

    // ---- curl ----

    /** Runs curl with the test CA; returns {@code "<status> <http version>"}. */
    private static String curl(String... args) throws Exception {
        Process curl = curlProcess(args);
        String out = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(curl.exitValue()).as("curl %s: %s", String.join(" ", args),
                new String(curl.getErrorStream().readAllBytes(), StandardCharsets.UTF_8)).isZero();
        return out;
    }

    private static Process curlProcess(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(executable("curl"), "-sS", "--max-time", "15",
                "--cacert", caFile.toString(), "-o", "/dev/null", "-w", "%{http_code} %{http_version}"));
        command.addAll(List.of(args));
        Process curl = new ProcessBuilder(command).start();
        if (!curl.waitFor(30, TimeUnit.SECONDS)) {
            curl.destroyForcibly();
            throw new AssertionError("curl did not finish: " + command);
        }
        return curl;
    }

    // ---- HAProxy ----

    private static synchronized void startHaproxy() throws Exception {
        String binary = executable("haproxy");
        assumeTrue(binary != null, "haproxy is not installed: apt-get install haproxy (.ci/run installs it)");
        if (haproxy != null) {
            return;
        }
        relayHttp = FreePorts.next();
        relayHttps = FreePorts.next();
        v2Http = FreePorts.next();
        v2Https = FreePorts.next();
        Path config = Files.writeString(dir.resolve("haproxy.cfg"), """
                global
                  nbthread 1
                defaults
                  mode tcp
                  timeout connect 5s
                  timeout client 30s
                  timeout server 30s
                listen relay_http
                  bind 127.0.0.1:%d
                  server portico 127.0.0.1:%d
                listen relay_https
                  bind 127.0.0.1:%d
                  server portico 127.0.0.1:%d
                listen v2_http
                  bind 127.0.0.1:%d
                  server portico 127.0.0.1:%d send-proxy-v2
                listen v2_https
                  bind 127.0.0.1:%d
                  server portico 127.0.0.1:%d send-proxy-v2
                """.formatted(relayHttp, runtime.httpPort(), relayHttps, httpsPort,
                v2Http, runtime.httpPort(), v2Https, httpsPort));
        Path log = dir.resolve("haproxy.log");
        haproxy = new ProcessBuilder(binary, "-db", "-f", config.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        await("haproxy listening").atMost(WAIT).until(() -> {
            if (!haproxy.isAlive()) {
                throw new AssertionError("haproxy exited: " + Files.readString(log));
            }
            return listening(relayHttp) && listening(relayHttps) && listening(v2Http) && listening(v2Https);
        });
    }

    private static boolean listening(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The binary's path on PATH or in /usr/sbin (HAProxy's place on Debian), or null. */
    private static String executable(String name) {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
        dirs.add("/usr/sbin");
        for (String d : dirs) {
            Path candidate = Path.of(d.isEmpty() ? "." : d, name);
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        return null;
    }

    // ---- what the runtime saw ----

    private static RecordedRequest request(String path) {
        await().atMost(WAIT).until(() -> backend.requests().stream().anyMatch(r -> r.uri().equals(path)));
        return backend.requests().stream().filter(r -> r.uri().equals(path)).findFirst().orElseThrow();
    }

    private static String realIp(String path) {
        return request(path).header("X-Real-IP");
    }

    private static JsonNode logLine(String path) {
        await().atMost(WAIT).until(() -> findLine(path) != null);
        return findLine(path);
    }

    private static JsonNode findLine(String path) {
        for (String line : runtime.stdoutLines()) {
            try {
                JsonNode json = JSON.readTree(line);
                if (json.path("path").asText().equals(path)) {
                    return json;
                }
            } catch (IOException e) {
                throw new UncheckedIOException("not JSON on stdout: " + line, e);
            }
        }
        return null;
    }

    private static double metric(String series) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(runtime.adminBaseUrl() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        Matcher m = Pattern.compile("^" + Pattern.quote(series) + " (\\S+)$", Pattern.MULTILINE).matcher(response.body());
        assertThat(m.find()).as("%s in /metrics", series).isTrue();
        return Double.parseDouble(m.group(1));
    }
}
