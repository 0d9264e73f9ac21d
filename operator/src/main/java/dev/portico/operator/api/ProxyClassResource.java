package dev.portico.operator.api;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.portico.crds.v1alpha1.ProxySite;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * The cluster admin's half of a site, as Gateway API splits GatewayClass parameters from
 * routes: how proxy pods run (image, resources, placement, JVM options) and how their
 * Services are exposed by default. Cluster-scoped; sites name one with
 * {@code spec.proxyClassName}, or get the one annotated {@value #DEFAULT_ANNOTATION}.
 *
 * <p>It lives in the operator, not in {@code crds} beside ProxySite: only the operator reads
 * it (the runtime never does), and its pod fields are Kubernetes' own types
 * (ResourceRequirements, Toleration, Affinity, ...), which {@code crds} deliberately does not
 * depend on. Without status: a class is checked at admission (its CEL rules) and again by
 * every site that uses it, which reports a bad class in its own conditions.
 */
@Group(ProxySite.GROUP)
@Version(ProxySite.VERSION)
@Kind(ProxyClassResource.KIND)
@Plural("proxyclasses")
@Singular("proxyclass")
@ShortNames("pclass")
@AdditionalPrinterColumn(name = "Default", jsonPath = ".metadata.annotations.portico\\.dev/is-default-class",
        getDescription = "Whether sites without spec.proxyClassName use this class")
@AdditionalPrinterColumn(name = "Image", jsonPath = ".spec.image",
        getDescription = "The proxy image; empty: the operator's default")
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp",
        type = AdditionalPrinterColumn.Type.DATE)
public class ProxyClassResource extends CustomResource<ProxyClassSpec, Void> {

    public static final String KIND = "ProxyClass";
    /** Set to "true" on the class that sites without spec.proxyClassName use. */
    public static final String DEFAULT_ANNOTATION = "portico.dev/is-default-class";

    private static final long serialVersionUID = 1L;

    @Override
    @JsonPropertyDescription("How the proxy pods of the sites using this class run. Every field is optional; "
            + "an absent one keeps the operator's default. A change rolls the pods of exactly those sites.")
    public ProxyClassSpec getSpec() {
        return super.getSpec();
    }

    /** Whether the class carries {@value #DEFAULT_ANNOTATION}: "true". Not a field of the resource. */
    @JsonIgnore
    public boolean isDefault() {
        var annotations = getMetadata() == null ? null : getMetadata().getAnnotations();
        return annotations != null && "true".equals(annotations.get(DEFAULT_ANNOTATION));
    }
}
