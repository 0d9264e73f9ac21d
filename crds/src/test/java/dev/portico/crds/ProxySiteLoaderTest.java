package dev.portico.crds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.portico.crds.v1alpha1.ProxySite;
import dev.portico.crds.v1alpha1.SecurityPreset;
import dev.portico.crds.v1alpha1.TlsVersion;
import dev.portico.crds.validation.Violation;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ProxySiteLoaderTest {

    private static final String HEADER = """
            apiVersion: portico.dev/v1alpha1
            kind: ProxySite
            metadata: {name: test}
            """;

    private static final Path FULL_EXAMPLE = Path.of("src/test/resources/full-example.yaml");

    private static List<Violation> parseViolations(String yaml) {
        try {
            ProxySiteLoader.parse(yaml);
        } catch (InvalidProxySiteException e) {
            return e.violations();
        }
        throw new AssertionError("expected InvalidProxySiteException for:\n" + yaml);
    }

    @Test
    void loadsTheFullExampleOfTheApiAsValid() {
        ProxySite site = ProxySiteLoader.load(FULL_EXAMPLE);

        assertThat(site.metadata().name()).isEqualTo("vera");
        assertThat(site.spec().hosts()).containsExactly("vera.example.com", "*.vera.example.com");
        assertThat(site.spec().tls().minVersion()).isEqualTo(TlsVersion.TLS_1_2);
        assertThat(site.spec().headers().securityPreset()).isEqualTo(SecurityPreset.STRICT);
        assertThat(site.spec().headers().response().set()).containsEntry("Content-Security-Policy", "default-src 'self'");
        assertThat(site.spec().routes()).hasSize(4);
        assertThat(site.spec().routes().get(0).maxRequestBodySize()).isEqualTo("25Mi");
        assertThat(site.spec().routes().get(3).backend().service()).isEqualTo("vera-frontend");
    }

    private static final String VALID_SPEC = "spec: {hosts: [a.com], routes: [{backend: {service: b, port: 80}}]}\n";

    @Test
    void aSiteFileWithSeveralDocumentsIsRefusedRatherThanServedInPart() {
        String twoSites = HEADER + VALID_SPEC + "---\n" + HEADER + VALID_SPEC;

        assertThat(parseViolations(twoSites)).singleElement().satisfies(v -> {
            assertThat(v.path()).isEqualTo("document");
            assertThat(v.message()).contains("holds 2 ProxySites");
        });
        assertThat(ProxySiteLoader.parse("---\n" + HEADER + VALID_SPEC + "---\n").spec().hosts())
                .as("empty documents around one site do not count").containsExactly("a.com");
    }

    @Test
    void parseAllJudgesEveryDocumentOnItsOwn() {
        String stream = HEADER + VALID_SPEC + "---\n" + HEADER
                + "spec: {hosts: [a.com], routes: [{backend: {service: b, port: 70000}}]}\n---\nkind: [\n";

        assertThat(ProxySiteLoader.parseAll(HEADER + VALID_SPEC + "---\n" + HEADER + VALID_SPEC))
                .hasSize(2).allMatch(ProxySiteLoader.Result::valid);
        List<ProxySiteLoader.Result> results;
        try {
            results = ProxySiteLoader.parseAll(stream);
        } catch (InvalidProxySiteException e) {
            // Malformed YAML anywhere in the stream stops the stream: it has no document boundaries to trust.
            assertThat(e.violations()).singleElement().satisfies(v -> assertThat(v.path()).isEqualTo("document"));
            results = ProxySiteLoader.parseAll(stream.substring(0, stream.lastIndexOf("---")));
        }
        assertThat(results).hasSize(2);
        assertThat(results.get(0).valid()).isTrue();
        assertThat(results.get(1).valid()).isFalse();
        assertThat(results.get(1).violations()).extracting(Violation::path)
                .containsExactly("spec.routes[0].backend.port");
    }

    static Stream<Arguments> documentsThatDoNotMap() {
        return Stream.of(
                arguments("spec:\n  hosts: [a.com]\n  routes:\n    - bakend: {service: a}\n",
                        "spec.routes[0].bakend", "unknown field"),
                arguments("spec:\n  tls: {certificates: [{secretName: a, extra: [1, 2]}]}\n",
                        "spec.tls.certificates[0].extra", "unknown field"),
                arguments("spec:\n  host: [a.com]\n", "spec.host", "unknown field"),
                arguments("speck: {}\n", "speck", "unknown field"),
                arguments("spec:\n  routes: [{match: {path: {type: pathprefix}}}]\n",
                        "spec.routes[0].match.path.type", "must be one of Exact, PathPrefix, RegularExpression, not \"pathprefix\""),
                arguments("spec:\n  routes: [{backend: {protocol: http}}]\n",
                        "spec.routes[0].backend.protocol", "must be one of HTTP, HTTPS, H2C, GRPC, not \"http\""),
                arguments("spec:\n  headers: {securityPreset: Strict}\n",
                        "spec.headers.securityPreset", "must be one of none, strict"),
                arguments("spec:\n  paths: {escapedSlashes: reject}\n",
                        "spec.paths.escapedSlashes", "must be one of Reject, Keep, not \"reject\""),
                arguments("spec:\n  tls: {minVersion: 1.3}\n",
                        "spec.tls.minVersion", "must be one of \"1.2\", \"1.3\", not the number 1.3"),
                arguments("spec:\n  routes: [{backend: {port: \"8000\"}}]\n",
                        "spec.routes[0].backend.port", "must be a whole number, not \"8000\""),
                arguments("spec:\n  replicas: 2.5\n", "spec.replicas", "must be a whole number, not the number 2.5"),
                arguments("spec:\n  routes: [{backend: {port: 99999999999}}]\n", "spec.routes[0].backend.port", "too large"),
                arguments("spec:\n  http2: \"true\"\n", "spec.http2", "must be true or false"),
                arguments("spec:\n  http2: 1\n", "spec.http2", "must be true or false"),
                arguments("spec:\n  proxyProtocol: \"yes\"\n", "spec.proxyProtocol", "must be true or false"),
                arguments("spec:\n  hosts: a.com\n", "spec.hosts", "must be a list, not \"a.com\""),
                arguments("spec:\n  hosts: [{name: a.com}]\n", "spec.hosts[0]", "must be text, not an object"),
                arguments("spec:\n  limits: [1]\n", "spec.limits", "must be an object, not a list"),
                arguments("spec:\n  headers: {response: {set: {X-A: [1]}}}\n", "spec.headers.response.set[\"X-A\"]", "must be text"),
                arguments("spec:\n  hosts: [a.com]\n  hosts: [b.com]\n", "spec.hosts", "appears twice"),
                arguments("spec:\n  hosts: [a.com\n  routes: x\n", "document", "is not valid YAML: expected ',' or ']'"),
                arguments("spec: {hosts: [a.com]\n", "document", "but got <stream end> (line 5, column 1)"),
                arguments("spec:\n\thosts: []\n", "document", "is not valid YAML"));
    }

    @ParameterizedTest(name = "{1}: {2}")
    @MethodSource("documentsThatDoNotMap")
    void reportsParseErrorsAtTheirPath(String body, String path, String messageFragment) {
        List<Violation> violations = parseViolations(HEADER + body);

        assertThat(violations).hasSize(1);
        assertThat(violations.get(0).path()).isEqualTo(path);
        assertThat(violations.get(0).message()).contains(messageFragment);
    }

    @ParameterizedTest
    @MethodSource("emptyDocuments")
    void reportsAnEmptyDocument(String yaml) {
        assertThat(parseViolations(yaml)).containsExactly(new Violation("document", "is empty (expected a ProxySite)"));
    }

    static Stream<String> emptyDocuments() {
        return Stream.of("", "# only a comment\n", "---\n", "~\n");
    }

    @Test
    void reportsADocumentThatIsNotAnObject() {
        assertThat(parseViolations("- a\n- b\n")).containsExactly(new Violation("document", "must be an object, not a list"));
    }

    @Test
    void reportsEveryUnknownFieldTogetherWithATypeError() {
        List<Violation> violations = parseViolations(HEADER + """
                spec:
                  hosts: [a.com]
                  routes:
                    - bakend: {x: 1}
                      foo: 2
                      match: {path: {type: pathprefix}}
                    - respnd: {}
                """);

        assertThat(violations).extracting(Violation::toString).containsExactly(
                "spec.routes[0].bakend: unknown field",
                "spec.routes[0].foo: unknown field",
                "spec.routes[1].respnd: unknown field",
                "spec.routes[0].match.path.type: must be one of Exact, PathPrefix, RegularExpression, not \"pathprefix\"");
    }

    @Test
    void ignoresUnknownMetadataAndTheStatus() {
        ProxySite site = ProxySiteLoader.parse("""
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata:
                  name: a
                  namespace: b
                  labels: {app: a}
                  annotations: {note: x}
                  uid: 123
                status:
                  readyReplicas: 2
                  whatever: [1]
                spec: {hosts: [a.com]}
                """);

        assertThat(site.metadata().name()).isEqualTo("a");
        assertThat(site.metadata().namespace()).isEqualTo("b");
        assertThat(site.spec().hosts()).containsExactly("a.com");
    }

    @Test
    void acceptsIntegersForSizes() {
        ProxySite site = ProxySiteLoader.load(HEADER + """
                spec:
                  hosts: [a.com]
                  limits: {maxRequestBodySize: 1048576}
                  routes: [{backend: {service: app, port: 80}, maxRequestBodySize: 0}]
                """);

        assertThat(site.spec().limits().maxRequestBodySize()).isEqualTo("1048576");
        assertThat(site.spec().routes().get(0).maxRequestBodySize()).isEqualTo("0");
    }

    @Test
    void loadRefusesAnInvalidSiteWithAllViolationsEachOnItsOwnLine() {
        assertThatThrownBy(() -> ProxySiteLoader.load(HEADER + """
                spec:
                  hosts: [a.com]
                  routes: [{backend: {service: app, port: 0}}, {respond: {status: 700}}]
                """))
                .isInstanceOf(InvalidProxySiteException.class)
                .hasMessage("""
                        invalid ProxySite:
                        spec.routes[0].backend.port: must be 1..65535
                        spec.routes[1].respond.status: must be 200..599""");
    }

    @Test
    void loadWritesOutTheDefaults() {
        ProxySite site = ProxySiteLoader.load(HEADER + "spec: {hosts: [A.com], routes: [{backend: {service: app, port: 80}}]}\n");

        assertThat(site.spec().hosts()).containsExactly("a.com");
        assertThat(site.spec().replicas()).isEqualTo(2);
        assertThat(site.spec().routes().get(0).timeouts().idle()).isEqualTo("300s");
    }

    @Test
    void loadsFromAFile(@TempDir Path directory) throws Exception {
        Path file = directory.resolve("site.yaml");
        Files.writeString(file, HEADER + "spec: {hosts: [a.com], routes: [{respond: {}}]}\n");

        assertThat(ProxySiteLoader.load(file).spec().routes().get(0).respond().status()).isEqualTo(200);
        assertThat(ProxySiteLoader.parse(file).spec().routes().get(0).respond().status()).isNull();
    }

    @Test
    void namesAFileThatCannotBeRead(@TempDir Path directory) {
        Path missing = directory.resolve("missing.yaml");

        assertThatThrownBy(() -> ProxySiteLoader.load(missing))
                .isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("missing.yaml");
    }

    @Test
    void yamlAndJsonReadBackToTheSameSite() {
        ProxySite site = ProxySiteLoader.load(FULL_EXAMPLE);

        assertThat(ProxySiteLoader.parse(ProxySiteLoader.toYaml(site))).isEqualTo(site);
        // JSON is YAML, so the YAML reader checks the JSON as well.
        assertThat(ProxySiteLoader.parse(ProxySiteLoader.toJson(site))).isEqualTo(site);
    }

    @Test
    void writesFieldsInDeclarationOrderAndHeadersSorted() {
        ProxySite site = ProxySiteLoader.parse(HEADER + """
                spec:
                  routes: [{backend: {service: app, port: 80}}]
                  hosts: [a.com]
                  headers: {response: {set: {X-B: b, X-A: a}}}
                """);

        assertThat(ProxySiteLoader.toJson(site)).isEqualTo(
                "{\"apiVersion\":\"portico.dev/v1alpha1\",\"kind\":\"ProxySite\",\"metadata\":{\"name\":\"test\"},"
                        + "\"spec\":{\"hosts\":[\"a.com\"],\"headers\":{\"response\":{\"set\":{\"X-A\":\"a\",\"X-B\":\"b\"}}},"
                        + "\"routes\":[{\"backend\":{\"service\":\"app\",\"port\":80}}]}}");
        assertThat(ProxySiteLoader.toYaml(site)).startsWith("apiVersion: portico.dev/v1alpha1\nkind: ProxySite\n");
    }

    @Test
    void quotesATlsVersionInYamlSoItReadsBackAsText() {
        ProxySite site = ProxySiteLoader.parse(HEADER + "spec: {tls: {minVersion: \"1.3\"}}\n");

        assertThat(ProxySiteLoader.toYaml(site)).contains("minVersion: \"1.3\"");
    }
}
