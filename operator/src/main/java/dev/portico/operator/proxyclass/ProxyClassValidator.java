package dev.portico.operator.proxyclass;

import dev.portico.crds.validation.KubernetesNames;
import dev.portico.crds.validation.Violation;
import dev.portico.operator.api.ProxyClassSpec;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a ProxyClass's CEL rules cannot say, checked when a site resolves its class: a bad
 * class leaves the site's pods as they are (ResolvedRefs=False naming the class's field)
 * instead of failing the Deployment's apply after the fact.
 */
public final class ProxyClassValidator {

    /** The labels the operator selects its pods by. */
    static final Set<String> RESERVED_LABELS =
            Set.of("app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/managed-by");
    /** Launcher options that choose what runs: the image's entrypoint chooses that. */
    static final Set<String> LAUNCHER_OPTIONS =
            Set.of("-jar", "-cp", "-classpath", "--class-path", "-m", "--module", "--source");

    private ProxyClassValidator() {}

    public static List<Violation> validate(ProxyClassSpec spec) {
        List<Violation> violations = new ArrayList<>();
        if (spec == null) {
            return violations;
        }
        if (spec.image() != null && (spec.image().isBlank() || spec.image().chars().anyMatch(Character::isWhitespace))) {
            violations.add(new Violation("spec.image", "must be an image reference without spaces, e.g. "
                    + "registry.example.com/portico/proxy-runtime:0.1.0"));
        }
        List<LocalObjectReference> pullSecrets = spec.imagePullSecrets() == null ? List.of() : spec.imagePullSecrets();
        for (int i = 0; i < pullSecrets.size(); i++) {
            if (pullSecrets.get(i) == null || pullSecrets.get(i).getName() == null || pullSecrets.get(i).getName().isBlank()) {
                violations.add(new Violation("spec.imagePullSecrets[" + i + "].name", "is required"));
            }
        }
        labels(violations, "spec.podLabels", spec.podLabels());
        labels(violations, "spec.nodeSelector", spec.nodeSelector());
        if (spec.podLabels() != null) {
            spec.podLabels().keySet().stream().filter(RESERVED_LABELS::contains).sorted().forEach(key ->
                    violations.add(new Violation("spec.podLabels[" + key + "]",
                            "is the operator's: it selects the site's pods by it")));
        }
        if (spec.podAnnotations() != null) {
            spec.podAnnotations().keySet().stream().sorted().forEach(key -> KubernetesNames.qualifiedNameProblem(key)
                    .ifPresent(problem -> violations.add(new Violation("spec.podAnnotations[" + key + "]", problem))));
        }
        jvmOptions(violations, spec.jvmOptions());
        if (spec.service() != null && spec.service().nodePorts() != null) {
            violations.add(new Violation("spec.service.nodePorts",
                    "cannot be a class default: two sites cannot share a node port; set them per site"));
        }
        return violations;
    }

    private static void labels(List<Violation> violations, String path, Map<String, String> labels) {
        if (labels == null) {
            return;
        }
        labels.keySet().stream().sorted().forEach(key -> {
            String at = path + "[" + key + "]";
            KubernetesNames.qualifiedNameProblem(key).ifPresent(problem -> violations.add(new Violation(at, problem)));
            KubernetesNames.labelValueProblem(labels.get(key)).ifPresent(problem -> violations.add(new Violation(at, problem)));
        });
    }

    private static void jvmOptions(List<Violation> violations, List<String> options) {
        if (options == null) {
            return;
        }
        for (int i = 0; i < options.size(); i++) {
            String option = options.get(i);
            String path = "spec.jvmOptions[" + i + "]";
            if (option == null || !option.startsWith("-")) {
                violations.add(new Violation(path, "must start with '-', e.g. -XX:MaxRAMPercentage=70"));
            } else if (option.chars().anyMatch(Character::isWhitespace)) {
                violations.add(new Violation(path, "must hold no whitespace: one option per entry"));
            } else if (LAUNCHER_OPTIONS.contains(option)) {
                violations.add(new Violation(path, option + " would replace what the image runs; JVM options only"));
            }
        }
    }
}
