package dev.portico.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.portico.crds.v1alpha1.Exposure;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraint;
import java.util.List;
import java.util.Map;

/**
 * What a ProxyClass sets. Every field is optional and replaces the operator's default
 * whole (resources, tolerations, spread constraints...), except {@code service}, whose fields
 * are defaults under each site's own {@code spec.service}. {@code ProxyClassValidator} checks
 * what the CEL rules here cannot (label syntax, JVM options in detail).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.podLabels) || !self.podLabels.exists(k, k in "
        + "['app.kubernetes.io/name', 'app.kubernetes.io/instance', 'app.kubernetes.io/managed-by'])",
        message = "podLabels may not set app.kubernetes.io/name, app.kubernetes.io/instance or "
                + "app.kubernetes.io/managed-by: the operator selects its pods by them",
        fieldPath = ".podLabels")
// On the class, not on the field: the CRD generator writes a record component's rule twice.
@ValidationRule(value = "!has(self.jvmOptions) || self.jvmOptions.all(o, o.startsWith('-') && !o.contains(' ') "
        + "&& o != '-jar')",
        message = "each JVM option starts with '-', holds no space and is not -jar",
        fieldPath = ".jvmOptions")
@ValidationRule(value = "!has(self.service) || !has(self.service.nodePorts)",
        message = "service.nodePorts cannot be a class default: two sites cannot share a node port; set them per site",
        fieldPath = ".service.nodePorts")
public record ProxyClassSpec(
        @JsonPropertyDescription("The proxy image, e.g. registry.example.com/portico/proxy-runtime:0.1.0. Absent: "
                + "the operator's (PORTICO_PROXY_IMAGE, the release's image by default).")
        @Size(max = 1024)
        @Pattern("^[^\\s]+$")
        String image,

        @JsonPropertyDescription("Secrets, in each site's namespace, to pull the proxy image with.")
        @Size(max = 16)
        List<LocalObjectReference> imagePullSecrets,

        @JsonPropertyDescription("The proxy container's CPU and memory. Absent: requests cpu 100m, memory 192Mi; "
                + "limits cpu 2, memory 512Mi. The JVM takes 50% of the memory limit as heap.")
        ResourceRequirements resources,

        @JsonPropertyDescription("The proxy pods' nodeSelector.")
        Map<@Size(max = 317) String, @Size(max = 63) String> nodeSelector,

        @JsonPropertyDescription("The proxy pods' tolerations.")
        @Size(max = 64)
        List<Toleration> tolerations,

        @JsonPropertyDescription("The proxy pods' affinity.")
        Affinity affinity,

        @JsonPropertyDescription("How a site's proxy pods spread. Absent: over zones (topology.kubernetes.io/zone) "
                + "and nodes (kubernetes.io/hostname), maxSkew 1, ScheduleAnyway. A constraint without "
                + "labelSelector selects the site's own pods.")
        @Size(max = 8)
        List<TopologySpreadConstraint> topologySpreadConstraints,

        @JsonPropertyDescription("The proxy pods' priorityClassName.")
        @Size(max = 253)
        @Pattern("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
        String priorityClassName,

        @JsonPropertyDescription("Annotations of the proxy pods (e.g. a service mesh's or a log shipper's).")
        Map<@Size(max = 317) String, String> podAnnotations,

        @JsonPropertyDescription("Labels of the proxy pods, besides the operator's (app.kubernetes.io/name, "
                + "instance and managed-by, which cannot be set here).")
        Map<@Size(max = 317) String, @Size(max = 63) String> podLabels,

        @JsonPropertyDescription("Options for the proxy's JVM, e.g. -XX:MaxRAMPercentage=70 or -Xss512k, given "
                + "to the java launcher (JDK_JAVA_OPTIONS). The JVM reads them after the image's defaults "
                + "(JAVA_TOOL_OPTIONS: -XX:MaxRAMPercentage=50 -XX:+ExitOnOutOfMemoryError), so they win where "
                + "both set the same option.")
        @Size(max = 64)
        List<@Size(max = 1024) String> jvmOptions,

        @JsonPropertyDescription("Defaults for the spec.service of the sites using this class: a site's own field "
                + "wins; annotations of both apply. nodePorts cannot be set here.")
        Exposure service) {}
