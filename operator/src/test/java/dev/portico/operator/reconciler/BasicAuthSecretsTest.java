package dev.portico.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.portico.crds.bundle.BundleFiles;
import dev.portico.crds.v1alpha1.ProxySiteSpec;
import dev.portico.crds.validation.Violation;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The htpasswd Secrets of auth.basic: which are named, what is said about them, and how they reach the pods; no server. */
class BasicAuthSecretsTest {

    /** A bcrypt line (cost 4) for alice: what htpasswd -B writes. */
    private static final String ALICE = "alice:$2y$04$Szfmk/FEVmhbAmyTmp.I8e0c8R.WPjvy25lQuEm2rkhbGgTTaDKAa";

    private static final String SITE = """
            apiVersion: portico.dev/v1alpha1
            kind: ProxySite
            metadata: {name: vera, namespace: aidoo}
            spec:
              hosts: ["vera.example.com"]
              auth:
                basic: {secretName: team-htpasswd}
              routes:
                - match: {path: {value: /admin}}
                  backend: {service: vera-frontend, port: 3000}
                  auth: {basic: {secretName: admins-htpasswd, realm: Admins}}
                - match: {path: {value: /health}}
                  backend: {service: vera-frontend, port: 3000}
                  auth: {enabled: false}
                - match: {path: {value: /}}
                  backend: {service: vera-frontend, port: 3000}
                  auth: {basic: {secretName: team-htpasswd}}
            """;

    private static Secret secret(String type, String auth) {
        SecretBuilder builder = new SecretBuilder().withNewMetadata().withName("s").endMetadata().withType(type);
        if (auth != null) {
            builder.withData(Map.of("auth", Base64.getEncoder().encodeToString(auth.getBytes(StandardCharsets.UTF_8))));
        }
        return builder.build();
    }

    @Test
    void eachSecretIsNamedOnceWhereItFirstAppears() {
        ProxySiteSpec spec = DerivedResourcesTest.normalised(SITE);

        assertThat(BasicAuthSecrets.referenced(spec)).containsExactly(
                Map.entry("team-htpasswd", "spec.auth.basic.secretName"),
                Map.entry("admins-htpasswd", "spec.routes[0].auth.basic.secretName"));
    }

    @Test
    void missingAndUnusableSecretsNameTheirFieldAndWhatIsWrong() {
        ProxySiteSpec spec = DerivedResourcesTest.normalised(SITE);
        Map<String, String> htpasswd = new LinkedHashMap<>();

        StatusFactory.Verdict missing = BasicAuthSecrets.resolve(BasicAuthSecrets.referenced(spec), "aidoo",
                name -> name.equals("team-htpasswd") ? Optional.of(secret("Opaque", ALICE + "\n")) : Optional.empty(),
                htpasswd);
        assertThat(missing.unresolvedReason()).isEqualTo("SecretNotFound");
        assertThat(missing.unresolved()).extracting(Violation::toString).containsExactly(
                "spec.routes[0].auth.basic.secretName: Secret \"admins-htpasswd\" not found in namespace \"aidoo\"");

        Map<String, Secret> broken = Map.of(
                "team-htpasswd", secret("Opaque", ALICE + "\nbob:$apr1$x$y\n"),
                "admins-htpasswd", secret("kubernetes.io/basic-auth", null));
        StatusFactory.Verdict invalid = BasicAuthSecrets.resolve(BasicAuthSecrets.referenced(spec), "aidoo",
                name -> Optional.ofNullable(broken.get(name)), new LinkedHashMap<>());
        assertThat(invalid.unresolvedReason()).isEqualTo("InvalidSecret");
        assertThat(invalid.unresolved()).extracting(Violation::toString).containsExactly(
                "spec.auth.basic.secretName: Secret \"team-htpasswd\" key \"auth\" line 2 (user \"bob\"): an MD5 "
                        + "($apr1$) hash; only bcrypt hashes ($2y$, $2a$, $2b$) are accepted: make them with htpasswd -B",
                "spec.routes[0].auth.basic.secretName: Secret \"admins-htpasswd\" is of type "
                        + "kubernetes.io/basic-auth; it must be Opaque");

        assertThat(BasicAuthSecrets.problem(secret("Opaque", null), "x"))
                .isEqualTo("Secret \"x\" has no key \"auth\" (htpasswd lines, e.g. from htpasswd -B)");
    }

    @Test
    void resolvedSecretsGoIntoTheBundleAndAreMountedWhereTheRuntimeReadsThem() {
        ProxySiteSpec spec = DerivedResourcesTest.normalised(SITE);
        Map<String, String> htpasswd = new LinkedHashMap<>();
        StatusFactory.Verdict verdict = BasicAuthSecrets.resolve(BasicAuthSecrets.referenced(spec), "aidoo",
                name -> Optional.of(secret("Opaque", ALICE + "\n")), htpasswd);
        assertThat(verdict.isResolved()).isTrue();

        ConfigBundle bundle = ConfigBundle.render("vera", "aidoo", spec, Map.of(),
                new ConfigBundle.TlsPair("ADMIN CERT PEM", "ADMIN KEY PEM"), htpasswd);
        assertThat(bundle.files()).containsEntry(BundleFiles.htpasswdKey("team-htpasswd"), ALICE + "\n")
                .containsEntry(BundleFiles.htpasswdKey("admins-htpasswd"), ALICE + "\n");
        assertThat(bundle.hash()).isNotEqualTo(ConfigBundle.render("vera", "aidoo", spec, Map.of(),
                new ConfigBundle.TlsPair("ADMIN CERT PEM", "ADMIN KEY PEM"),
                Map.of("team-htpasswd", ALICE + "\n", "admins-htpasswd", "other")).hash());

        assertThat(DerivedResources.bundleItems(spec)).extracting(KeyToPath::getKey, KeyToPath::getPath)
                .contains(tuple("team-htpasswd.htpasswd", "secrets/team-htpasswd/auth"),
                        tuple("admins-htpasswd.htpasswd",
                                "secrets/admins-htpasswd/auth"));
    }
}
