package dev.portico.operator.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The ProxyClass CRD: generated from {@link ProxyClassResource}, committed as generated, cluster-scoped. */
class ProxyClassCrdTest {

    private static final String FILE_NAME = "proxyclasses.portico.dev-v1.yml";
    private static final Path MODULE = Path.of(System.getProperty("basedir", "."));
    private static final Path GENERATED = MODULE.resolve("target/classes/META-INF/fabric8/" + FILE_NAME);
    private static final Path COMMITTED = MODULE.resolve("../deploy/crds/" + FILE_NAME).normalize();

    @Test
    void committedCrdIsTheGeneratedOne() throws IOException {
        assertThat(Files.readString(COMMITTED))
                .as("%s differs from the CRD generated from the Java types; if intended, copy %s over it", COMMITTED,
                        GENERATED)
                .isEqualTo(Files.readString(GENERATED));
    }

    @Test
    void isClusterScopedWithoutStatus() throws IOException {
        JsonNode spec = crd().path("spec");
        assertThat(spec.path("scope").asText()).isEqualTo("Cluster");
        assertThat(spec.path("names").path("kind").asText()).isEqualTo("ProxyClass");
        assertThat(spec.path("names").path("shortNames").get(0).asText()).isEqualTo("pclass");
        JsonNode version = spec.path("versions").get(0);
        assertThat(version.path("name").asText()).isEqualTo("v1alpha1");
        assertThat(version.path("subresources").isMissingNode() || version.path("subresources").isEmpty()).isTrue();
        // fabric8 writes an empty status object for CustomResource<S, Void>; nothing can be stored in it.
        assertThat(version.at("/schema/openAPIV3Schema/properties/status/properties").isMissingNode()).isTrue();
    }

    @Test
    void printsDefaultImageAndAge() throws IOException {
        Map<String, String> columns = new LinkedHashMap<>();
        for (JsonNode column : crd().at("/spec/versions/0/additionalPrinterColumns")) {
            columns.put(column.path("name").asText(), column.path("jsonPath").asText());
        }
        assertThat(columns).containsOnly(
                entry("Default", ".metadata.annotations.portico\\.dev/is-default-class"),
                entry("Image", ".spec.image"),
                entry("Age", ".metadata.creationTimestamp"));
    }

    /** kubectl explain proxyclass.spec teaches every field Portico adds (Kubernetes' own types carry none). */
    @Test
    void everyTopLevelFieldHasADescription() throws IOException {
        JsonNode properties = crd().at("/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties");
        List<String> undescribed = new ArrayList<>();
        properties.properties().forEach(e -> {
            if (e.getValue().path("description").asText().isBlank()) {
                undescribed.add(e.getKey());
            }
        });
        assertThat(properties.size()).isEqualTo(12);
        assertThat(undescribed).isEmpty();
    }

    private static JsonNode crd() throws IOException {
        return new YAMLMapper().readTree(GENERATED.toFile());
    }
}
