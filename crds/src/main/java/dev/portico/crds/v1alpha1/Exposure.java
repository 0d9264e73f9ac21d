package dev.portico.crds.v1alpha1;

import static dev.portico.crds.v1alpha1.SchemaPatterns.CIDR;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;
import java.util.Map;

/**
 * How the site's Service ({@code <name>-proxy}) exposes the proxy pods. Only what is set here
 * is written to the Service; everything else (allocated node ports, a cloud controller's
 * annotations and status) is left to the cluster.
 *
 * <p>{@code type} has no schema default: absent, it is the ProxyClass's, and only then
 * ClusterIP ({@link dev.portico.crds.ProxySiteDefaults#SERVICE_TYPE}). So the CEL rules refuse a
 * field only next to an explicit type that cannot have it; the operator checks the merged
 * result with the validator.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.type) || self.type != 'ClusterIP' || !has(self.externalTrafficPolicy)",
        message = "externalTrafficPolicy needs type NodePort or LoadBalancer", fieldPath = ".externalTrafficPolicy")
@ValidationRule(value = "!has(self.type) || self.type != 'ClusterIP' || !has(self.nodePorts)",
        message = "nodePorts needs type NodePort or LoadBalancer", fieldPath = ".nodePorts")
@ValidationRule(value = "!has(self.type) || self.type == 'LoadBalancer' || !has(self.loadBalancerClass)",
        message = "loadBalancerClass needs type LoadBalancer", fieldPath = ".loadBalancerClass")
@ValidationRule(value = "!has(self.type) || self.type == 'LoadBalancer' || !has(self.loadBalancerSourceRanges)",
        message = "loadBalancerSourceRanges needs type LoadBalancer", fieldPath = ".loadBalancerSourceRanges")
public record Exposure(
        @JsonPropertyDescription("ClusterIP: reachable inside the cluster only (put an Ingress, a Gateway or "
                + "kubectl port-forward in front). NodePort: also on a port of every node. LoadBalancer: also "
                + "through the cloud's load balancer, whose addresses status.addresses reports. Absent: the "
                + "ProxyClass's, else ClusterIP.")
        Type type,

        @JsonPropertyDescription("Annotations of the Service: the cloud load balancer's settings, e.g. "
                + "service.beta.kubernetes.io/aws-load-balancer-type: nlb. Other annotations on the Service "
                + "(a cloud controller's own) are kept.")
        Map<@Size(max = 317) String, String> annotations,

        @JsonPropertyDescription("Cluster (the cluster's default when absent): any node forwards to any pod. "
                + "Local: a node forwards only to its own pods and keeps the client's address (without PROXY "
                + "protocol). NodePort or LoadBalancer only.")
        TrafficPolicy externalTrafficPolicy,

        @JsonPropertyDescription("Which load balancer implementation serves the Service (e.g. "
                + "service.k8s.aws/nlb); absent: the cluster's default. LoadBalancer only; the API server "
                + "does not let it change once set.")
        @Size(max = 253)
        String loadBalancerClass,

        @JsonPropertyDescription("CIDRs the load balancer accepts clients from (e.g. 203.0.113.0/24); absent: "
                + "everyone. LoadBalancer only, and only where the cloud supports it.")
        @Size(max = 64)
        List<@Pattern(CIDR) String> loadBalancerSourceRanges,

        @JsonPropertyDescription("Fixed node ports; absent ones are allocated by the cluster (and kept). "
                + "NodePort or LoadBalancer only; within the cluster's node port range (30000-32767 by default).")
        NodePorts nodePorts) {

    /** The Service types a site may have; ExternalName cannot front pods. */
    public enum Type {
        ClusterIP,
        NodePort,
        LoadBalancer
    }

    public enum TrafficPolicy {
        Cluster,
        Local
    }

    /** The node ports of the Service's two ports. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record NodePorts(
            @JsonPropertyDescription("The node port of the http port (80).")
            @Min(1)
            @Max(65535)
            Integer http,

            @JsonPropertyDescription("The node port of the https port (443); needs spec.tls.")
            @Min(1)
            @Max(65535)
            Integer https) {}
}
