package dev.portico.operator.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.portico.operator.OperatorConfig;
import dev.portico.operator.Release;
import dev.portico.operator.testbed.ShippedOperator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * One version names both images everywhere: the Maven project version is the tag that
 * build-images.sh gives them, that deploy/ runs, and that the operator gives proxy pods by
 * default. A release bump that misses one place fails here, not in a cluster pulling a tag
 * that does not exist.
 */
class ImageVersionsTest {

    private static final Path REPO = Path.of(System.getProperty("basedir", ".")).resolve("..").normalize();
    private static final ObjectMapper YAML = new YAMLMapper();
    private static final String OPERATOR_IMAGE = "ghcr.io/portico-dev/operator";
    private static final String PROXY_IMAGE = "ghcr.io/portico-dev/proxy-runtime";

    @Test
    void theOperatorsDefaultProxyImageIsTaggedWithTheProjectVersion() throws IOException {
        String version = projectVersion();

        assertThat(Release.VERSION).isEqualTo(version);
        assertThat(OperatorConfig.fromEnvironment(Map.of()).proxyImage()).isEqualTo(PROXY_IMAGE + ":" + version);
        assertThat(ShippedOperator.PROXY_IMAGE).isEqualTo(OperatorConfig.DEFAULT_PROXY_IMAGE);
    }

    @Test
    void deployRunsTheImagesOfTheProjectVersion() throws IOException {
        String version = projectVersion();
        JsonNode container = YAML.readTree(REPO.resolve("deploy/operator/deployment.yaml").toFile())
                .at("/spec/template/spec/containers/0");

        assertThat(container.path("image").asText()).isEqualTo(OPERATOR_IMAGE + ":" + version);
        assertThat(YAML.readTree(REPO.resolve("deploy/operator/deployment.yaml").toFile())
                .at("/metadata/labels/app.kubernetes.io~1version").asText()).isEqualTo(version);
        assertThat(env(container, "PORTICO_PROXY_IMAGE")).isEqualTo(PROXY_IMAGE + ":" + version);
        for (String kustomization : List.of("deploy/kustomization.yaml", "deploy/namespaced/kustomization.yaml")) {
            JsonNode images = YAML.readTree(REPO.resolve(kustomization).toFile()).path("images");
            assertThat(images).as(kustomization).singleElement().satisfies(image -> {
                assertThat(image.path("name").asText()).isEqualTo(OPERATOR_IMAGE);
                assertThat(image.path("newTag").asText()).isEqualTo(version);
            });
        }
    }

    @Test
    void theHelmChartIsOfTheProjectVersion() throws IOException {
        String version = projectVersion();
        JsonNode chart = YAML.readTree(REPO.resolve("deploy/helm/portico/Chart.yaml").toFile());

        assertThat(chart.path("version").asText()).isEqualTo(version);
        assertThat(chart.path("appVersion").asText()).as("the default tag of both images").isEqualTo(version);
        JsonNode images = YAML.readTree(REPO.resolve("deploy/helm/portico/values.yaml").toFile()).path("image");
        assertThat(images.at("/operator/repository").asText()).isEqualTo(OPERATOR_IMAGE);
        assertThat(images.at("/proxy/repository").asText()).isEqualTo(PROXY_IMAGE);
    }

    @Test
    void theImageBuildTagsBothImagesWithTheProjectVersion() throws Exception {
        String version = projectVersion();
        Process build = new ProcessBuilder("bash", REPO.resolve("deploy/docker/build-images.sh").toString(), "--dry-run")
                .redirectErrorStream(true).start();
        assertThat(build.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String commands = new String(build.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

        assertThat(build.exitValue()).as(commands).isZero();
        assertThat(commands.lines().toList()).containsExactly(
                "docker build -f deploy/docker/proxy-runtime.Dockerfile --build-arg VERSION=" + version
                        + " -t " + PROXY_IMAGE + ":" + version + " .",
                "docker build -f deploy/docker/operator.Dockerfile --build-arg VERSION=" + version
                        + " -t " + OPERATOR_IMAGE + ":" + version + " .");
    }

    /** The root pom's own version (the modules inherit it), read as the build script reads it. */
    static String projectVersion() throws IOException {
        Matcher version = Pattern.compile("(?m)^  <version>([^<]+)</version>$")
                .matcher(Files.readString(REPO.resolve("pom.xml")));
        assertThat(version.find()).as("the root pom.xml's <version>").isTrue();
        return version.group(1);
    }

    private static String env(JsonNode container, String name) {
        for (JsonNode variable : container.path("env")) {
            if (variable.path("name").asText().equals(name)) {
                return variable.path("value").asText();
            }
        }
        throw new AssertionError(name + " is not set on " + container.path("name").asText());
    }
}
