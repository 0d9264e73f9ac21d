package dev.portico.operator.proxyclass;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.crds.v1alpha1.Exposure;
import dev.portico.crds.validation.Violation;
import dev.portico.operator.api.ProxyClassSpec;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProxyClassValidatorTest {

    @Test
    void anEmptyClassIsValid() {
        assertThat(ProxyClassValidator.validate(spec(null, null, null, null, null))).isEmpty();
    }

    @Test
    void podLabelsMayNotTakeTheOperatorsSelector() {
        assertThat(ProxyClassValidator.validate(spec(Map.of("app.kubernetes.io/instance", "x", "team", "a"), null,
                null, null, null)))
                .extracting(Violation::toString)
                .containsExactly("spec.podLabels[app.kubernetes.io/instance]: is the operator's: it selects the site's "
                        + "pods by it");
    }

    @Test
    void labelsAndAnnotationsFollowKubernetesSyntax() {
        List<Violation> violations = ProxyClassValidator.validate(spec(Map.of("team", "platform team"),
                Map.of("bad key!", "x"), Map.of("-node", "a"), null, null));

        assertThat(violations).extracting(Violation::path).containsExactlyInAnyOrder(
                "spec.podLabels[team]", "spec.nodeSelector[-node]", "spec.podAnnotations[bad key!]");
        assertThat(violations).filteredOn(v -> v.path().equals("spec.podLabels[team]")).singleElement()
                .satisfies(v -> assertThat(v.message()).startsWith("must be a label value"));
    }

    @Test
    void jvmOptionsAreOptionsForTheJvmOnly() {
        assertThat(ProxyClassValidator.validate(spec(null, null, null,
                List.of("-XX:MaxRAMPercentage=70", "Xmx1g", "-Xms1g -Xmx1g", "-jar", "-Xss512k"), null)))
                .extracting(Violation::toString)
                .containsExactly(
                        "spec.jvmOptions[1]: must start with '-', e.g. -XX:MaxRAMPercentage=70",
                        "spec.jvmOptions[2]: must hold no whitespace: one option per entry",
                        "spec.jvmOptions[3]: -jar would replace what the image runs; JVM options only");
    }

    @Test
    void nodePortsAreNoClassDefault() {
        Exposure withNodePorts = new Exposure(Exposure.Type.NodePort, null, null, null, null,
                new Exposure.NodePorts(30080, null));

        assertThat(ProxyClassValidator.validate(spec(null, null, null, null, withNodePorts)))
                .extracting(Violation::path).containsExactly("spec.service.nodePorts");
    }

    @Test
    void pullSecretsNeedNames() {
        ProxyClassSpec spec = new ProxyClassSpec("registry.example.com/p:1", List.of(new LocalObjectReference("")),
                null, null, null, null, null, null, null, null, null, null);

        assertThat(ProxyClassValidator.validate(spec)).extracting(Violation::path)
                .containsExactly("spec.imagePullSecrets[0].name");
    }

    private static ProxyClassSpec spec(Map<String, String> podLabels, Map<String, String> podAnnotations,
            Map<String, String> nodeSelector, List<String> jvmOptions, Exposure service) {
        return new ProxyClassSpec(null, null, null, nodeSelector, null, null, null, null, podAnnotations, podLabels,
                jvmOptions, service);
    }
}
