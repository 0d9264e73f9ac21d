package dev.portico.operator.proxyclass;

import dev.portico.operator.api.ProxyClassSpec;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraint;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraintBuilder;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * How a site's proxy pods run: its ProxyClass's settings over the operator's defaults. Each
 * field the class sets replaces the default whole; a field it leaves out keeps it.
 *
 * @param topologySpreadConstraints without their label selectors: a class cannot know a
 *     site's pod labels, so the Deployment fills in the site's where one is missing
 * @param podAnnotations sorted, so that the pod template is the same on every render
 * @param podLabels sorted; never the operator's selector labels (the class's CEL rule)
 */
public record PodSettings(
        String image,
        List<LocalObjectReference> imagePullSecrets,
        ResourceRequirements resources,
        Map<String, String> nodeSelector,
        List<Toleration> tolerations,
        Affinity affinity,
        List<TopologySpreadConstraint> topologySpreadConstraints,
        String priorityClassName,
        Map<String, String> podAnnotations,
        Map<String, String> podLabels,
        List<String> jvmOptions) {

    static final String ZONE = "topology.kubernetes.io/zone";
    static final String HOSTNAME = "kubernetes.io/hostname";

    /** The operator's defaults, with {@code image} as the proxy image. */
    public static PodSettings defaults(String image) {
        return of(null, image);
    }

    /** {@code proxyClass}'s settings (none when null) over the defaults, {@code defaultImage} among them. */
    public static PodSettings of(ProxyClassSpec proxyClass, String defaultImage) {
        ProxyClassSpec c = proxyClass != null ? proxyClass
                : new ProxyClassSpec(null, null, null, null, null, null, null, null, null, null, null, null);
        return new PodSettings(
                c.image() != null ? c.image() : defaultImage,
                orEmpty(c.imagePullSecrets()),
                c.resources() != null ? c.resources() : defaultResources(),
                sorted(c.nodeSelector()),
                orEmpty(c.tolerations()),
                c.affinity(),
                c.topologySpreadConstraints() != null ? c.topologySpreadConstraints() : defaultSpread(),
                c.priorityClassName(),
                sorted(c.podAnnotations()),
                sorted(c.podLabels()),
                orEmpty(c.jvmOptions()));
    }

    /**
     * Sized for one site's traffic: little at rest, room for bursts of TLS handshakes; the JVM
     * takes half of the memory limit as heap (the image's MaxRAMPercentage).
     */
    static ResourceRequirements defaultResources() {
        return new ResourceRequirementsBuilder()
                .addToRequests("cpu", new Quantity("100m"))
                .addToRequests("memory", new Quantity("192Mi"))
                .addToLimits("cpu", new Quantity("2"))
                .addToLimits("memory", new Quantity("512Mi"))
                .build();
    }

    /** A zone's outage or a node's drain takes at most one more pod than its share. */
    static List<TopologySpreadConstraint> defaultSpread() {
        return List.of(spread(ZONE), spread(HOSTNAME));
    }

    private static TopologySpreadConstraint spread(String topologyKey) {
        return new TopologySpreadConstraintBuilder()
                .withMaxSkew(1)
                .withTopologyKey(topologyKey)
                // A single-zone cluster or too few nodes must not leave the site without pods.
                .withWhenUnsatisfiable("ScheduleAnyway")
                .build();
    }

    private static <T> List<T> orEmpty(List<T> list) {
        return list == null ? List.of() : List.copyOf(list);
    }

    private static Map<String, String> sorted(Map<String, String> map) {
        return map == null ? Map.of() : new TreeMap<>(map);
    }
}
