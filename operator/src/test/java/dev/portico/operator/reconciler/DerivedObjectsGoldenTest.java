package dev.portico.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.crds.ProxySiteDefaults;
import dev.portico.crds.ProxySiteLoader;
import dev.portico.crds.v1alpha1.ProxySite;
import dev.portico.crds.v1alpha1.ProxySiteSpec;
import dev.portico.operator.api.ProxySiteResource;
import dev.portico.operator.api.ProxyClassResource;
import dev.portico.operator.api.ProxyClassSpec;
import dev.portico.operator.proxyclass.PodSettings;
import dev.portico.operator.proxyclass.ServiceDefaults;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Spec to objects, as files: each directory of src/test/resources/derived/ holds a
 * {@code proxysite.yaml} and the {@code expected.yaml} the operator derives from it (the
 * Deployment, Service, ServiceAccount, NetworkPolicy, PodDisruptionBudget and config bundle
 * Secret, with a fixed admin certificate; its data shown decoded), so a change to what lands
 * in the cluster shows as a reviewable diff. A directory may also hold the {@code proxyclass.yaml}
 * the site runs with. {@code -Dportico.golden.update=true} rewrites the expected files.
 */
class DerivedObjectsGoldenTest {

    private static final Path CASES = Path.of(System.getProperty("basedir", "."), "src/test/resources/derived");
    private static final String IMAGE = "ghcr.io/portico-dev/proxy-runtime:golden";
    private static final ConfigBundle.TlsPair ADMIN = new ConfigBundle.TlsPair("ADMIN CERT PEM", "ADMIN KEY PEM");

    static Stream<String> cases() throws IOException {
        try (Stream<Path> dirs = Files.list(CASES)) {
            return dirs.filter(Files::isDirectory).map(d -> d.getFileName().toString()).sorted().toList().stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void derivedObjectsAreTheExpectedOnes(String name) throws IOException {
        Path dir = CASES.resolve(name);
        Path proxyClass = dir.resolve("proxyclass.yaml");
        String actual = derive(Files.readString(dir.resolve("proxysite.yaml"), StandardCharsets.UTF_8),
                Files.exists(proxyClass) ? Serialization.unmarshal(Files.readString(proxyClass, StandardCharsets.UTF_8),
                        ProxyClassResource.class).getSpec() : null);
        Path expected = dir.resolve("expected.yaml");
        if (Boolean.getBoolean("portico.golden.update")) {
            Files.writeString(expected, actual, StandardCharsets.UTF_8);
        }
        assertThat(expected).as("%s (write it with -Dportico.golden.update=true, then review it)", expected).exists();
        assertThat(actual).isEqualTo(Files.readString(expected, StandardCharsets.UTF_8));
    }

    private static String derive(String yaml, ProxyClassSpec proxyClass) {
        ProxySite parsed = ProxySiteLoader.parse(yaml);
        ProxySiteResource site = new ProxySiteResource();
        site.setMetadata(new ObjectMetaBuilder().withName(parsed.metadata().name())
                .withNamespace(parsed.metadata().namespace()).withUid("00000000-0000-0000-0000-000000000001")
                .withGeneration(1L).build());
        site.setSpec(parsed.spec());
        ProxySiteSpec spec = ProxySiteDefaults.normalise(
                ServiceDefaults.apply(parsed.spec(), proxyClass == null ? null : proxyClass.service()));
        Map<String, ConfigBundle.TlsPair> tls = spec.tls() == null ? Map.of()
                : spec.tls().certificates().stream().collect(Collectors.toMap(c -> c.secretName(),
                        c -> new ConfigBundle.TlsPair("CERT PEM OF " + c.secretName(), "KEY PEM OF " + c.secretName()),
                        (a, b) -> a, java.util.TreeMap::new));
        ConfigBundle bundle = ConfigBundle.render(parsed.metadata().name(), parsed.metadata().namespace(), spec, tls, ADMIN);
        List<HasMetadata> objects = new ArrayList<>(List.of(
                DerivedResources.deployment(site, spec, PodSettings.of(proxyClass, IMAGE)),
                DerivedResources.service(site, spec),
                DerivedResources.serviceAccount(site),
                DerivedResources.networkPolicy(site, "portico-system", java.util.Set.of())));
        if (spec.replicas() > 1) {
            objects.add(DerivedResources.podDisruptionBudget(site));
        }
        objects.add(readable(DerivedResources.bundleSecret(site, bundle)));
        return objects.stream().map(Serialization::asYaml).collect(Collectors.joining());
    }

    /** The Secret with its data decoded into stringData, the same content in a form a review can read. */
    private static Secret readable(Secret secret) {
        Map<String, String> text = new java.util.TreeMap<>();
        secret.getData().forEach((key, base64) ->
                text.put(key, new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8)));
        return new SecretBuilder(secret).withData(null).withStringData(text).build();
    }
}
