package dev.portico.operator.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.portico.crds.ProxySiteLoader;
import dev.portico.operator.api.ProxyClassResource;
import dev.portico.operator.proxyclass.ProxyClassValidator;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every ProxySite in deploy/examples/ loads and validates as the runtime and the operator
 * would load it, and the seed-guide examples keep the settings their guides ask for.
 */
class ExamplesTest {

    private static final Path MODULE = Path.of(System.getProperty("basedir", "."));
    private static final Path EXAMPLES = MODULE.resolve("../deploy/examples").normalize();
    // kubectl's document separator: a line of "---", optionally followed by a comment.
    private static final Pattern SEPARATOR = Pattern.compile("(?m)^---[ \\t]*(#.*)?$");
    private static final ObjectMapper YAML = new YAMLMapper();

    @TestFactory
    Stream<DynamicTest> everyExampleDocumentLoadsAndValidates() {
        return exampleFiles().stream().flatMap(file -> {
            List<String> documents = documents(file);
            return Stream.concat(
                    Stream.of(DynamicTest.dynamicTest(file.getFileName() + " has a ProxySite",
                            () -> assertThat(documents).isNotEmpty())),
                    documents.stream().map(document -> DynamicTest.dynamicTest(
                            file.getFileName() + ": " + nameOf(document),
                            () -> loadsAndValidates(file, document))));
        });
    }

    /** A ProxySite as the runtime and the operator load it; a ProxyClass as the operator checks it. */
    private static void loadsAndValidates(Path file, String document) throws IOException {
        if (YAML.readTree(document).path("kind").asText().equals(ProxyClassResource.KIND)) {
            ProxyClassResource proxyClass = Serialization.unmarshal(document, ProxyClassResource.class);
            assertThat(ProxyClassValidator.validate(proxyClass.getSpec())).as("%s, %s", file, nameOf(document)).isEmpty();
            return;
        }
        assertThatCode(() -> ProxySiteLoader.load(document))
                .as("%s, document %s", file, nameOf(document))
                .doesNotThrowAnyException();
    }

    @Test
    void everySeedGuideHasItsExample() {
        assertThat(exampleFiles()).extracting(file -> file.getFileName().toString())
                .contains("aliasvault.yaml", "authentik.yaml", "aidoo.yaml", "chatalot.yaml", "infram.yaml");
    }

    @Test
    void everySeedExampleServesTlsFromACertManagerStyleSecretAndRedirectsHttp() throws IOException {
        for (String name : List.of("aliasvault", "authentik", "aidoo", "chatalot", "infram")) {
            for (JsonNode site : sites(name + ".yaml")) {
                String siteName = site.at("/metadata/name").asText();
                assertThat(site.at("/spec/tls/certificates/0/secretName").asText())
                        .as("%s/%s", name, siteName).isEqualTo(siteName + "-tls");
                assertThat(site.at("/spec/tls/httpRedirect").asBoolean(true)).as("%s/%s", name, siteName).isTrue();
                assertThat(site.at("/metadata/namespace").asText()).as("%s/%s", name, siteName).isNotEmpty();
            }
        }
    }

    @Test
    void aliasVaultForwardsEverythingUnchangedToItsInternalProxyOverHttps() throws IOException {
        JsonNode spec = single("aliasvault.yaml").path("spec");
        assertThat(spec.path("hosts")).hasSize(1);
        assertThat(spec.path("routes")).hasSize(1);
        JsonNode route = spec.at("/routes/0");
        assertThat(route.at("/match/path/value").asText()).isEqualTo("/");
        assertThat(route.has("rewrite")).as("paths pass as-is").isFalse();
        assertThat(route.at("/backend/protocol").asText()).isEqualTo("HTTPS");
        assertThat(route.at("/backend/tls/insecureSkipVerify").asBoolean()).as("No TLS Verify").isTrue();
        assertThat(route.path("websocket").asBoolean(true)).isTrue();
    }

    @Test
    void authentikRequiresTls13AndProxiesHttpsTo9443() throws IOException {
        JsonNode spec = single("authentik.yaml").path("spec");
        assertThat(spec.at("/tls/minVersion").asText()).isEqualTo("1.3");
        assertThat(spec.at("/tls/hsts/maxAge").asLong()).isEqualTo(63072000L);
        JsonNode backend = spec.at("/routes/0/backend");
        assertThat(backend.path("protocol").asText()).isEqualTo("HTTPS");
        assertThat(backend.path("port").asInt()).isEqualTo(9443);
        assertThat(spec.at("/routes/0/websocket").asBoolean(true)).isTrue();
    }

    @Test
    void aidooHasOneSitePerHostWithTheGuidesLimitsHeadersAndRoutes() throws IOException {
        List<JsonNode> sites = sites("aidoo.yaml");
        assertThat(sites).extracting(site -> site.at("/spec/hosts/0").asText())
                .containsExactly("hub.example.com", "pika.example.com", "vera.example.com");
        for (JsonNode site : sites) {
            JsonNode spec = site.path("spec");
            assertThat(spec.at("/headers/securityPreset").asText()).isEqualTo("strict");
            assertThat(spec.at("/headers/response/set/Content-Security-Policy").asText()).startsWith("default-src 'self'");
            assertThat(spec.at("/tls/hsts/maxAge").asLong()).isEqualTo(63072000L);
            assertThat(spec.at("/tls/hsts/includeSubDomains").asBoolean()).isTrue();
            assertThat(spec.at("/tls/hsts/preload").asBoolean()).isTrue();
            for (JsonNode route : spec.path("routes")) {
                if (route.has("backend") && route.has("timeouts")) {
                    assertThat(seconds(route.at("/timeouts/idle").asText())).as("SSE").isGreaterThanOrEqualTo(300);
                }
            }
        }
        JsonNode pika = sites.get(1).path("spec");
        assertThat(pika.at("/limits/maxRequestBodySize").asText()).isEqualTo("100Mi");

        JsonNode vera = sites.get(2).path("spec");
        assertThat(vera.at("/limits/maxRequestBodySize").asText()).isEqualTo("25Mi");
        assertThat(vera.at("/headers/response/set/X-Frame-Options").asText()).isEqualTo("SAMEORIGIN");
        assertThat(vera.at("/headers/response/set/Content-Security-Policy").asText()).contains("'unsafe-eval'");
        assertThat(vera.at("/routes/0/match/path/value").asText()).isEqualTo("/api");
        assertThat(vera.at("/routes/0/backend/service").asText()).isEqualTo("vera-backend");
        assertThat(vera.at("/routes/1/match/path/value").asText()).isEqualTo("/internal/");
        assertThat(vera.at("/routes/1/respond/status").asInt()).isEqualTo(404);
        assertThat(vera.at("/routes/2/backend/service").asText()).isEqualTo("vera-frontend");
        assertThat(vera.at("/routes/2/backend/port").asInt()).isEqualTo(3000);
    }

    @Test
    void chatalotKeepsItsWebSocketOpenForADay() throws IOException {
        JsonNode spec = single("chatalot.yaml").path("spec");
        assertThat(spec.at("/tls/minVersion").asText()).isEqualTo("1.2");
        assertThat(spec.at("/limits/maxRequestBodySize").asText()).isEqualTo("110Mi");
        JsonNode ws = spec.at("/routes/0");
        assertThat(ws.at("/match/path/value").asText()).isEqualTo("/ws");
        assertThat(ws.path("websocket").asBoolean(true)).isTrue();
        assertThat(seconds(ws.at("/timeouts/idle").asText())).isEqualTo(86400);
    }

    @Test
    void inframKeepsTerminalsOpenCompressesAndSendsItsHsts() throws IOException {
        JsonNode spec = single("infram.yaml").path("spec");
        assertThat(spec.at("/tls/hsts/maxAge").asLong()).isEqualTo(31536000L);
        assertThat(spec.at("/tls/hsts/includeSubDomains").asBoolean()).isTrue();
        assertThat(spec.at("/compression/enabled").asBoolean()).isTrue();
        assertThat(spec.has("trustedProxies")).isTrue();
        assertThat(spec.at("/routes/0/backend/protocol").asText("HTTP")).isEqualTo("HTTP");
        assertThat(seconds(spec.at("/routes/0/timeouts/idle").asText())).isEqualTo(86400);
    }

    private static List<Path> exampleFiles() {
        try (Stream<Path> files = Files.list(EXAMPLES)) {
            return files.filter(file -> file.getFileName().toString().matches(".*\\.ya?ml"))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The file's documents, split as kubectl splits them; comment-only documents are skipped. */
    static List<String> documents(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> documents = new ArrayList<>();
        for (String document : SEPARATOR.split(text)) {
            boolean hasContent = document.lines()
                    .map(String::strip)
                    .anyMatch(line -> !line.isEmpty() && !line.startsWith("#"));
            if (hasContent) {
                documents.add(document);
            }
        }
        return documents;
    }

    private static List<JsonNode> sites(String fileName) throws IOException {
        List<JsonNode> sites = new ArrayList<>();
        for (String document : documents(EXAMPLES.resolve(fileName))) {
            sites.add(YAML.readTree(document));
        }
        return sites;
    }

    private static JsonNode single(String fileName) throws IOException {
        List<JsonNode> sites = sites(fileName);
        assertThat(sites).as(fileName).hasSize(1);
        return sites.get(0);
    }

    private static String nameOf(String document) {
        try {
            return YAML.readTree(document).at("/metadata/name").asText("(unnamed)");
        } catch (IOException e) {
            return "(unparsable)";
        }
    }

    /** Seconds in a duration of the plain forms the examples use: 300s, 5m, 24h. */
    private static long seconds(String duration) {
        long amount = Long.parseLong(duration.substring(0, duration.length() - 1));
        return switch (duration.charAt(duration.length() - 1)) {
            case 's' -> amount;
            case 'm' -> amount * 60;
            case 'h' -> amount * 3600;
            default -> throw new IllegalArgumentException("unexpected duration " + duration);
        };
    }

    /** authentik's forward auth as its Traefik guide sets it up: the endpoint, the identity headers, the outpost path open. */
    @Test
    void theForwardAuthExampleProtectsTheAppAndLeavesTheOutpostPathOpen() throws IOException {
        JsonNode site = sites("authentik-forward-auth.yaml").get(0);
        JsonNode forward = site.at("/spec/auth/forward");
        assertThat(forward.at("/path").asText()).isEqualTo("/outpost.goauthentik.io/auth/traefik");
        List<String> headers = new ArrayList<>();
        forward.at("/responseHeaders").forEach(h -> headers.add(h.asText()));
        assertThat(headers).contains("X-authentik-username", "X-authentik-groups", "X-authentik-email");
        JsonNode outpost = site.at("/spec/routes/0");
        assertThat(outpost.at("/match/path/value").asText()).isEqualTo("/outpost.goauthentik.io/");
        assertThat(outpost.at("/auth/enabled").asBoolean(true)).isFalse();
        assertThat(site.at("/spec/routes/1/auth").isMissingNode()).as("the app's route keeps spec.auth").isTrue();
    }
}
