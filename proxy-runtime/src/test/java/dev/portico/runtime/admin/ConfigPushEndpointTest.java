package dev.portico.runtime.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portico.crds.bundle.BundleFiles;
import dev.portico.crds.bundle.ConfigPush;
import dev.portico.runtime.testing.AdminClient;
import dev.portico.runtime.testing.MountedBundle;
import dev.portico.runtime.testing.RawHttpClient;
import dev.portico.runtime.testing.RawResponse;
import dev.portico.runtime.testing.RunningProxy;
import dev.portico.runtime.testing.TestBackend;
import dev.portico.runtime.tls.TestCertificates;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code PUT /config} as docs/config-push.md states it, against a runtime booted from a
 * mounted bundle at revision 100: every answer of the table, and that a refused push
 * leaves the config serving exactly as it was.
 */
@Timeout(60)
class ConfigPushEndpointTest {

    private static final long MOUNTED = 100;
    private static final String TOKEN = "tok-3f9a1c";
    private static TestCertificates.Ca ca;
    private static TestCertificates.Issued certificate;

    @TempDir
    Path dir;
    Path tokenFile;
    TestBackend one;
    TestBackend two;
    RunningProxy proxy;
    AdminClient admin;

    @BeforeAll
    static void certificates() {
        ca = TestCertificates.newCa("Portico Push CA");
        certificate = ca.issue(TestCertificates.leaf("v1").ec().sans("localhost"));
    }

    @BeforeEach
    void start() throws Exception {
        one = TestBackend.start("one");
        two = TestBackend.start("two");
        tokenFile = Files.writeString(dir.resolve("token"), TOKEN + "\n");
        MountedBundle mounted = MountedBundle.mount(dir.resolve("mount"), files(site(1, one, "")), MOUNTED);
        proxy = RunningProxy.start(mounted, tokenFile);
        admin = proxy.admin();
    }

    @AfterEach
    void stop() {
        proxy.close();
        one.close();
        two.close();
    }

    /** TLS with one secret (plain HTTP not redirected, for plain test requests); everything to {@code main}. */
    private static String site(int generation, TestBackend main, String extraRoutes) {
        return """
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: pushed, generation: %d}
                spec:
                  hosts: ["*"]
                  tls:
                    certificates: [{secretName: site-tls}]
                    httpRedirect: false
                  routes:
                %s
                    - match: {path: {value: /}}
                      backend: {service: 127.0.0.1, port: %d}
                """.formatted(generation, extraRoutes.indent(4).stripTrailing(), main.port());
    }

    private static Map<String, String> files(String site) {
        Map<String, String> files = new TreeMap<>();
        files.put(BundleFiles.SITE_FILE, site);
        files.put(BundleFiles.certificateKey("site-tls"), TestCertificates.certificatePem(certificate.chain()));
        files.put(BundleFiles.privateKeyKey("site-tls"),
                TestCertificates.keyPem(certificate.key(), TestCertificates.KeyFormat.PKCS8));
        return files;
    }

    private static String routeTo(String path, TestBackend backend) {
        return """
                - match: {path: {value: %s}}
                  backend: {service: 127.0.0.1, port: %d}
                """.formatted(path, backend.port());
    }

    @Test
    void anEndpointsOnlyPushMovesTrafficAtOnceAndKeepsTheConnectionsOfEndpointsThatStay() {
        String svc = """
                - match: {path: {value: /svc}}
                  backend: {service: App, port: 80}
                """;
        Map<String, String> files = files(site(2, one, svc));
        files.put(BundleFiles.ENDPOINTS_FILE, endpoints(one));
        assertThat(admin.push(ConfigPush.of(101, files), TOKEN).status()).isEqualTo(200);
        for (int i = 0; i < 4; i++) {
            assertThat(proxy.get("/svc/x").bodyText()).isEqualTo("ok one GET /svc/x");
        }
        int oneConnections = one.connectionsAccepted();

        files.put(BundleFiles.ENDPOINTS_FILE, endpoints(one, two)); // a scale-up: only the endpoints change
        assertThat(admin.push(ConfigPush.of(102, files), TOKEN).status()).isEqualTo(200);
        java.util.Set<String> served = new java.util.HashSet<>();
        for (int i = 0; i < 8; i++) {
            served.add(proxy.get("/svc/x").bodyText());
        }
        assertThat(served).containsExactlyInAnyOrder("ok one GET /svc/x", "ok two GET /svc/x");
        assertThat(one.connectionsAccepted()).isEqualTo(oneConnections); // its pooled connections were kept

        files.put(BundleFiles.ENDPOINTS_FILE, "{\"app:80\": []}");
        assertThat(admin.push(ConfigPush.of(103, files), TOKEN).status()).isEqualTo(200);
        assertThat(proxy.get("/svc/x").status()).isEqualTo(503); // the Service has no endpoint: never DNS
        // The pods left: their idle pooled connections are closed at once, not at the idle timeout.
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5))
                .until(() -> one.openConnections() == 0 && two.openConnections() == 0);

        files.put(BundleFiles.ENDPOINTS_FILE, "{\"app:80\": [{\"address\": \"app\", \"port\": 1}]}");
        RawResponse refused = admin.push(ConfigPush.of(104, files), TOKEN);
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.bodyText()).contains("backend-endpoints.json");
    }

    private static String endpoints(TestBackend... backends) {
        return java.util.Arrays.stream(backends)
                .map(b -> "{\"address\": \"127.0.0.1\", \"port\": %d, \"ready\": true, \"serving\": true, "
                        .formatted(b.port()) + "\"terminating\": false}")
                .collect(java.util.stream.Collectors.joining(", ", "{\"app:80\": [", "]}"));
    }

    @Test
    void aPushedRouteChangeRoutesTheNextRequestAndConfigShowsItsRevisionAndHash() {
        assertThat(proxy.get("/new/x").bodyText()).isEqualTo("ok one GET /new/x");
        ConfigPush push = ConfigPush.of(101, files(site(2, one, routeTo("/new", two))));

        RawResponse answer = admin.push(push, TOKEN);

        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.header("Content-Type")).isEqualTo("application/json");
        JsonNode applied = AdminClient.json(answer);
        assertThat(applied.get("revision").asLong()).isEqualTo(101);
        assertThat(applied.get("hash").asText()).isEqualTo(push.hash());
        assertThat(applied.get("generation").asLong()).isEqualTo(2);
        // No reload poll involved: the answer means the next request is routed by the push.
        assertThat(proxy.get("/new/x").bodyText()).isEqualTo("ok two GET /new/x");
        assertThat(proxy.get("/other").bodyText()).isEqualTo("ok one GET /other");
        assertThat(admin.config()).isEqualTo(applied);
        assertThat(admin.pushes("applied")).isEqualTo(1);
    }

    @Test
    void theSameBundleAgainIsANoOpAndOtherContentAtTheSameRevisionAConflict() {
        ConfigPush push = ConfigPush.of(101, files(site(2, one, routeTo("/new", two))));
        assertThat(admin.push(push, TOKEN).status()).isEqualTo(200);

        RawResponse again = admin.push(push, TOKEN);
        assertThat(again.status()).isEqualTo(200);
        assertThat(AdminClient.json(again).get("hash").asText()).isEqualTo(push.hash());
        assertThat(admin.pushes("unchanged")).isEqualTo(1);

        RawResponse other = admin.push(ConfigPush.of(101, files(site(3, two, ""))), TOKEN);
        assertThat(other.status()).isEqualTo(409);
        assertThat(AdminClient.json(other).get("hash").asText()).isEqualTo(push.hash());
        assertThat(admin.pushes("conflict")).isEqualTo(1);
        assertThat(proxy.get("/other").bodyText()).isEqualTo("ok one GET /other");
    }

    @Test
    void anOlderRevisionIs409AndTheConfigServingStays() {
        JsonNode before = admin.config();

        RawResponse stale = admin.push(ConfigPush.of(MOUNTED - 1, files(site(2, two, ""))), TOKEN);

        assertThat(stale.status()).isEqualTo(409);
        assertThat(AdminClient.json(stale)).isEqualTo(before);
        assertThat(before.get("revision").asLong()).isEqualTo(MOUNTED);
        assertThat(proxy.get("/x").bodyText()).isEqualTo("ok one GET /x");
        assertThat(admin.config()).isEqualTo(before);
        assertThat(admin.pushes("stale")).isEqualTo(1);
    }

    @Test
    void aMissingOrWrongTokenIs401WithABearerChallenge() {
        ConfigPush push = ConfigPush.of(101, files(site(2, two, "")));
        JsonNode before = admin.config();

        for (String[] headers : new String[][] {{}, {"Authorization: Bearer " + TOKEN + "x"},
                {"Authorization: Bearer "}, {"Authorization: Basic " + TOKEN}, {"Authorization: " + TOKEN}}) {
            RawResponse refused = admin.put(push.toJson(), headers);
            assertThat(refused.status()).as("%s", (Object) headers).isEqualTo(401);
            assertThat(refused.header("WWW-Authenticate")).isEqualTo("Bearer");
        }

        assertThat(admin.pushes("unauthorized")).isEqualTo(5);
        assertThat(admin.config()).isEqualTo(before);
        assertThat(proxy.get("/x").bodyText()).isEqualTo("ok one GET /x");
        // The scheme is case-insensitive (RFC 9110), the token is not.
        assertThat(admin.put(push.toJson(), "Authorization: bearer " + TOKEN).status()).isEqualTo(200);
    }

    @Test
    void theTokenFileIsReadAgainSoTheTokenCanBeRotated() throws Exception {
        Files.writeString(tokenFile, "  tok-rotated \n");

        assertThat(admin.push(ConfigPush.of(101, files(site(2, two, ""))), TOKEN).status()).isEqualTo(401);
        assertThat(admin.push(ConfigPush.of(101, files(site(2, two, ""))), "tok-rotated").status()).isEqualTo(200);

        Files.writeString(tokenFile, "\n");
        assertThat(admin.push(ConfigPush.of(102, files(site(3, one, ""))), "tok-rotated").status())
                .as("an empty token file admits nobody").isEqualTo(401);
        assertThat(admin.put(ConfigPush.of(102, files(site(3, one, ""))).toJson(), "Authorization: Bearer ").status())
                .isEqualTo(401);
    }

    @Test
    void aTokenOrRevisionFileThatCannotServeStopsTheStartNamingTheFlag() throws Exception {
        MountedBundle other = MountedBundle.mount(dir.resolve("other"), files(site(1, one, "")), 7);

        assertThatThrownBy(() -> RunningProxy.start(other, dir.resolve("no-such-token")).close())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--admin-token-file " + dir.resolve("no-such-token") + ": no such file");
        assertThatThrownBy(() -> RunningProxy.start(other, Files.writeString(dir.resolve("blank"), " \n")).close())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--admin-token-file " + dir.resolve("blank") + ": is empty");

        Path revision = other.revisionFile().toRealPath();
        Files.delete(revision);
        Files.writeString(revision, "-3\n");
        assertThatThrownBy(() -> RunningProxy.start(other, tokenFile).close())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("--revision-file " + other.revisionFile())
                .hasMessageContaining("'-3'");
    }

    @Test
    void withoutATokenFilePushesAreOff() {
        try (TestBackend backend = TestBackend.start("standalone");
             RunningProxy standalone = RunningProxy.start(dir, RunningProxy.siteFor(backend, ""))) {
            RawResponse refused = standalone.admin().push(ConfigPush.of(1, files(site(2, two, ""))), TOKEN);

            assertThat(refused.status()).isEqualTo(403);
            assertThat(refused.bodyText()).contains("--admin-token-file");
            assertThat(standalone.admin().pushes("forbidden")).isEqualTo(1);
            assertThat(standalone.get("/x").bodyText()).isEqualTo("ok standalone GET /x");
        }
    }

    @Test
    void filesThatDoNotMatchTheirHashAre400NamingHash() {
        String tampered = new String(ConfigPush.of(101, files(site(2, two, ""))).toJson(), StandardCharsets.UTF_8)
                .replace("name: pushed", "name: tampered");

        RawResponse refused = admin.put(tampered.getBytes(StandardCharsets.UTF_8), "Authorization: Bearer " + TOKEN);

        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.bodyText()).startsWith("hash: sha256:").contains("does not match the files");
        assertThat(admin.pushes("invalid")).isEqualTo(1);
        assertThat(admin.config().get("revision").asLong()).isEqualTo(MOUNTED);
    }

    @Test
    void malformedBodiesAre400NamingTheField() {
        String auth = "Authorization: Bearer " + TOKEN;
        assertThat(admin.put("not json".getBytes(StandardCharsets.UTF_8), auth).bodyText())
                .startsWith("body: not JSON");
        assertThat(admin.put("{\"hash\":\"x\",\"files\":{}}".getBytes(StandardCharsets.UTF_8), auth).bodyText())
                .startsWith("revision: ");
        RawResponse empty = admin.put(new byte[0], auth);
        assertThat(empty.status()).isEqualTo(400);
        assertThat(empty.bodyText()).startsWith("body: ");
    }

    @Test
    void anInvalidSiteOrCertificateIs400NamingTheFieldAndTheConfigServingStays() {
        JsonNode before = admin.config();
        String badPort = site(2, two, "").replace("port: " + two.port(), "port: 70000");

        RawResponse invalidSite = admin.push(ConfigPush.of(101, files(badPort)), TOKEN);

        assertThat(invalidSite.status()).isEqualTo(400);
        assertThat(invalidSite.bodyText()).contains("spec.routes[0].backend.port");

        Map<String, String> brokenPair = files(site(2, two, ""));
        brokenPair.put(BundleFiles.privateKeyKey("site-tls"), TestCertificates.keyPem(
                ca.issue(TestCertificates.leaf("other").ec()).key(), TestCertificates.KeyFormat.PKCS8));
        RawResponse invalidPair = admin.push(ConfigPush.of(102, brokenPair), TOKEN);
        assertThat(invalidPair.status()).isEqualTo(400);
        assertThat(invalidPair.bodyText()).contains("spec.tls.certificates[0].secretName")
                .contains("secret site-tls").contains("does not belong");

        Map<String, String> missingKey = files(site(2, two, ""));
        missingKey.remove(BundleFiles.privateKeyKey("site-tls"));
        assertThat(admin.push(ConfigPush.of(103, missingKey), TOKEN).bodyText())
                .contains("secret site-tls: missing files.site-tls.tls.key");

        assertThat(admin.pushes("invalid")).isEqualTo(3);
        assertThat(admin.config()).isEqualTo(before);
        assertThat(proxy.get("/x").bodyText()).isEqualTo("ok one GET /x");
        // A fixed bundle at a later revision than the refused ones applies.
        assertThat(admin.push(ConfigPush.of(101, files(site(2, two, ""))), TOKEN).status()).isEqualTo(200);
        assertThat(proxy.get("/x").bodyText()).isEqualTo("ok two GET /x");
    }

    @Test
    void aBodyOver8MiBIs413AndTheConnectionStaysUsable() throws Exception {
        byte[] nineMiB = AdminClient.filler(9 * 1024 * 1024);
        try (RawHttpClient client = RawHttpClient.connect(proxy.adminPort())) {
            client.send(AdminClient.putHead(nineMiB.length, "Authorization: Bearer " + TOKEN));
            client.send(nineMiB);
            assertThat(client.readResponse().status()).isEqualTo(413);

            // The refused body was read and dropped: the next request on the connection is understood.
            client.send("GET /config HTTP/1.1\r\nHost: admin\r\n\r\n");
            RawResponse config = client.readResponse();
            assertThat(config.status()).isEqualTo(200);
            assertThat(AdminClient.json(config).get("revision").asLong()).isEqualTo(MOUNTED);
        }

        // Without a declared length the limit holds as the body arrives.
        try (RawHttpClient client = RawHttpClient.connect(proxy.adminPort())) {
            client.send("PUT /config HTTP/1.1\r\nHost: admin\r\nAuthorization: Bearer " + TOKEN
                    + "\r\nTransfer-Encoding: chunked\r\n\r\n");
            byte[] chunk = AdminClient.filler(1024 * 1024);
            for (int i = 0; i < 9; i++) {
                client.send(Integer.toHexString(chunk.length) + "\r\n");
                client.send(chunk);
                client.send("\r\n");
            }
            client.send("0\r\n\r\n");
            assertThat(client.readResponse().status()).isEqualTo(413);
        }
        assertThat(admin.pushes("too_large")).isEqualTo(2);
        assertThat(admin.config().get("revision").asLong()).isEqualTo(MOUNTED);
    }

    @Test
    void aPipelinedRequestIsAnsweredAfterThePushAndSeesIt() throws Exception {
        ConfigPush push = ConfigPush.of(101, files(site(2, two, "")));
        byte[] body = push.toJson();
        try (RawHttpClient client = RawHttpClient.connect(proxy.adminPort())) {
            client.send(AdminClient.putHead(body.length, "Authorization: Bearer " + TOKEN)
                    + new String(body, StandardCharsets.ISO_8859_1)
                    + "GET /config HTTP/1.1\r\nHost: admin\r\n\r\n");

            RawResponse first = client.readResponse();
            RawResponse second = client.readResponse();

            // Both show the push: the GET was not answered (with revision 100) while the push was applied.
            assertThat(first.status()).isEqualTo(200);
            assertThat(AdminClient.json(first).get("revision").asLong()).isEqualTo(101);
            assertThat(AdminClient.json(first).get("hash").asText()).isEqualTo(push.hash());
            assertThat(second.status()).isEqualTo(200);
            assertThat(AdminClient.json(second).get("revision").asLong()).isEqualTo(101);
        }
    }

    @Test
    void aClientExpecting100ContinueGetsItOnlyWithTheRightToken() throws Exception {
        byte[] body = ConfigPush.of(101, files(site(2, two, ""))).toJson();
        try (RawHttpClient client = RawHttpClient.connect(proxy.adminPort())) {
            client.send(AdminClient.putHead(body.length, "Authorization: Bearer " + TOKEN, "Expect: 100-continue"));
            assertThat(client.readInterimOrFinal().status()).isEqualTo(100);
            client.send(body);
            assertThat(client.readResponse().status()).isEqualTo(200);
        }
        try (RawHttpClient client = RawHttpClient.connect(proxy.adminPort())) {
            client.send(AdminClient.putHead(body.length, "Expect: 100-continue"));
            assertThat(client.readInterimOrFinal().status()).isEqualTo(401);
            assertThat(client.isClosedByPeer()).as("no body follows: the connection cannot be framed").isTrue();
        }
    }

    @Test
    void otherMethodsOnConfigAre405() throws Exception {
        try (RawHttpClient client = RawHttpClient.connect(proxy.adminPort())) {
            client.send("DELETE /config HTTP/1.1\r\nHost: admin\r\nConnection: close\r\n\r\n");
            RawResponse response = client.readResponse();
            assertThat(response.status()).isEqualTo(405);
            assertThat(response.header("Allow")).isEqualTo("GET, HEAD, PUT");
        }
    }
}
