package dev.portico.crds.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigPushTest {

    private static final Map<String, String> FILES = Map.of(
            "site.yaml", "kind: ProxySite\n",
            "vera-tls.tls.crt", "-----BEGIN CERTIFICATE-----\n",
            "vera-tls.tls.key", "-----BEGIN PRIVATE KEY-----\n");

    @Test
    void aPushSurvivesTheWireUnchanged() {
        ConfigPush push = ConfigPush.of(7, FILES);

        ConfigPush read = ConfigPush.fromJson(push.toJson());

        assertThat(read).isEqualTo(push);
        assertThat(read.hash()).isEqualTo(BundleFiles.hash(FILES)).startsWith("sha256:");
    }

    @Test
    void theHashDependsOnEveryKeyAndContentButNotOnTheirOrder() {
        String hash = BundleFiles.hash(FILES);
        assertThat(BundleFiles.hash(new java.util.LinkedHashMap<>(FILES))).isEqualTo(hash);
        assertThat(BundleFiles.hash(Map.of("site.yaml", "kind: ProxySite\n"))).isNotEqualTo(hash);
        // Length prefixes: moving bytes from a key into its content changes the hash.
        assertThat(BundleFiles.hash(Map.of("ab", "c"))).isNotEqualTo(BundleFiles.hash(Map.of("a", "bc")));
    }

    @Test
    void filesThatDoNotMatchTheirHashAreRefused() {
        String tampered = new String(ConfigPush.of(7, FILES).toJson(), StandardCharsets.UTF_8)
                .replace("kind: ProxySite", "kind: Other");

        assertThatThrownBy(() -> ConfigPush.fromJson(tampered.getBytes(StandardCharsets.UTF_8)))
                .hasMessageStartingWith("hash: sha256:").hasMessageContaining("does not match the files");
    }

    @Test
    void eachMalformedFieldIsNamed() {
        assertRefused("not json", "body: not JSON");
        assertRefused("[]", "body: must be a JSON object");
        assertRefused("{\"hash\":\"x\",\"files\":{}}", "revision: must be a non-negative integer");
        assertRefused("{\"revision\":-1,\"hash\":\"x\",\"files\":{}}", "revision: must be a non-negative integer");
        assertRefused("{\"revision\":1.5,\"hash\":\"x\",\"files\":{}}", "revision: must be a non-negative integer");
        assertRefused("{\"revision\":1,\"files\":{}}", "hash: is required");
        assertRefused("{\"revision\":1,\"hash\":\"x\"}", "files: must be an object");
        assertRefused("{\"revision\":1,\"hash\":\"x\",\"files\":{\"site.yaml\":3}}", "files.site.yaml: must be a string");
        assertRefused("{\"revision\":1,\"hash\":\"x\",\"files\":{\"../etc/passwd\":\"\"}}", "files.../etc/passwd: unknown file");
        assertRefused("{\"revision\":1,\"hash\":\"x\",\"files\":{}}", "files.site.yaml: is required");
        assertRefused("{\"revision\":1,\"hash\":\"x\",\"files\":{\"acme-http-01\":\"tok.thumb\\n../x\"}}",
                "files.acme-http-01 line 2: not an ACME key authorization");
        assertRefused("{\"revision\":1,\"hash\":\"x\",\"files\":{}} {}", "body: not JSON");
    }

    @Test
    void challengeAnswersAreKeyedByTheirToken() {
        String file = AcmeChallengeAnswers.render(List.of("tok-2.thumb", "tok_1.thumb", "tok-2.thumb"));

        assertThat(file).isEqualTo("tok-2.thumb\ntok_1.thumb\n");
        assertThat(AcmeChallengeAnswers.parse(file)).containsExactly(
                Map.entry("tok-2", "tok-2.thumb"), Map.entry("tok_1", "tok_1.thumb"));
        assertThat(AcmeChallengeAnswers.parse("")).isEmpty();
        assertThatThrownBy(() -> AcmeChallengeAnswers.render(List.of("no-thumbprint")))
                .hasMessageContaining("not an ACME key authorization");
        ConfigPush push = ConfigPush.of(1, Map.of("site.yaml", "x", BundleFiles.ACME_CHALLENGES_FILE, file));
        assertThat(ConfigPush.fromJson(push.toJson())).isEqualTo(push);
    }

    @Test
    void secretNamesComeBackFromTheirKeys() {
        assertThat(BundleFiles.secretNameOf(BundleFiles.certificateKey("a.b-tls"))).isEqualTo("a.b-tls");
        assertThat(BundleFiles.secretNameOf(BundleFiles.privateKeyKey("x"))).isEqualTo("x");
        assertThat(BundleFiles.secretNameOf("site.yaml")).isNull();
    }

    private static void assertRefused(String body, String message) {
        assertThatThrownBy(() -> ConfigPush.fromJson(body.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(message);
    }
}
