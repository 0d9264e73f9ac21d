package dev.portico.crds.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.kubernetes.model.annotation.LabelSelector;
import io.fabric8.kubernetes.model.annotation.StatusReplicas;
import java.util.List;

/**
 * What the operator observed; written by the operator only.
 *
 * <p>{@code selector} exists for the scale subresource: {@code kubectl scale} and a
 * HorizontalPodAutoscaler read the proxy pods' label selector from it, in the string form
 * of {@code kubectl get -l} ({@code app.kubernetes.io/name=portico-proxy,app.kubernetes.io/instance=S}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ProxySiteStatus(
        @JsonPropertyDescription("The metadata.generation of the ProxySite this status describes.")
        Long observedGeneration,

        @JsonPropertyDescription("Number of proxy pods that exist (the scale subresource's status replicas).")
        @StatusReplicas
        Integer replicas,

        @JsonPropertyDescription("Number of proxy pods that are ready.")
        Integer readyReplicas,

        @JsonPropertyDescription("Hash of the config bundle the pods serve, e.g. sha256:...; each pod reports "
                + "the hash it serves, and Programmed is True when all ready pods serve this one.")
        String configHash,

        @JsonPropertyDescription("Where the site is reached, e.g. https://vera.example.com: its first exact "
                + "host, else (only wildcard hosts) its load balancer's first address.")
        String url,

        @JsonPropertyDescription("The ProxyClass the proxy pods run with: spec.proxyClassName, or the default "
                + "class when that is absent; absent when no class applies.")
        String proxyClassName,

        @JsonPropertyDescription("The addresses of the site's load balancer (spec.service.type LoadBalancer), "
                + "as the cloud reports them on the Service: IP addresses or host names.")
        List<Address> addresses,

        @JsonPropertyDescription("Standard conditions: Accepted (the spec is valid), ResolvedRefs (its Secrets "
                + "and Services exist), Programmed (every ready pod serves the current config) and Ready (all of "
                + "these, and the proxy Deployment is available: the pods serve this generation).")
        List<Condition> conditions,

        @JsonPropertyDescription("Label selector of the proxy pods in string form, for the scale subresource "
                + "(kubectl scale, HorizontalPodAutoscaler).")
        @LabelSelector
        String selector) {

    /** An address the site is reached at, in Gateway API's shape. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Address(
            @JsonPropertyDescription("IPAddress or Hostname.")
            @Required
            @Pattern("^(IPAddress|Hostname)$")
            String type,

            @JsonPropertyDescription("The address, e.g. 203.0.113.7 or a1b2.elb.amazonaws.com.")
            @Required
            String value) {}

    /** The shape of a standard {@code metav1.Condition}. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Condition(
            @JsonPropertyDescription("Type of the condition: Accepted, Programmed or Ready.")
            @Required
            String type,

            @JsonPropertyDescription("Status of the condition: True, False or Unknown.")
            @Required
            @Pattern("^(True|False|Unknown)$")
            String status,

            @JsonPropertyDescription("A CamelCase reason for the condition's last transition, e.g. Valid, "
                    + "ConfigApplied, Available.")
            String reason,

            @JsonPropertyDescription("A human-readable message about the transition; says what to do when "
                    + "the status is False.")
            String message,

            @JsonPropertyDescription("The metadata.generation the condition was set for.")
            Long observedGeneration,

            @JsonPropertyDescription("When the condition last changed status (RFC 3339).")
            String lastTransitionTime) {}
}
