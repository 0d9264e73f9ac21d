package dev.portico.operator.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.portico.crds.v1alpha1.ProxySite;
import dev.portico.crds.v1alpha1.ProxySiteSpec;
import dev.portico.crds.v1alpha1.ProxySiteStatus;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.generator.annotation.Required;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * The ProxySite as the operator sees it in the cluster: the spec and status records of
 * {@code crds}, wrapped in fabric8's {@link CustomResource}. The CRD in
 * {@code deploy/crds/} is generated from this class at build time (see the operator's pom);
 * its schema comes from the annotations on the records.
 *
 * <p>The printer columns are meant as Hosts, Ready, Programmed, Age; the CRD generator sorts
 * them by JSONPath (Age, Hosts, Programmed, Ready) and has no way to order them otherwise
 * (docs/operator.md).
 *
 * <p>Named for what it is, a resource, so that it never clashes with {@code crds}'
 * {@link ProxySite}, the same document as the proxy runtime reads it from a file.
 */
@Group(ProxySite.GROUP)
@Version(ProxySite.VERSION)
@Kind(ProxySite.KIND)
@Plural("proxysites")
@Singular("proxysite")
@ShortNames("psite")
@AdditionalPrinterColumn(name = "Hosts", jsonPath = ".spec.hosts",
        getDescription = "The host names the site serves")
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.conditions[?(@.type==\"Ready\")].status",
        getDescription = "Whether the proxy Deployment is available")
@AdditionalPrinterColumn(name = "Programmed", jsonPath = ".status.conditions[?(@.type==\"Programmed\")].status",
        getDescription = "Whether every ready pod serves the current config")
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp",
        type = AdditionalPrinterColumn.Type.DATE)
public class ProxySiteResource extends CustomResource<ProxySiteSpec, ProxySiteStatus> implements Namespaced {

    private static final long serialVersionUID = 1L;

    // Overridden only to describe spec and status in the schema (kubectl explain proxysite.spec).
    @Override
    @JsonPropertyDescription("What the user asks for: the site's hosts, TLS, limits and routes. The same "
            + "document runs unchanged with the proxy runtime outside a cluster.")
    @Required
    public ProxySiteSpec getSpec() {
        return super.getSpec();
    }

    @Override
    @JsonPropertyDescription("What the operator observed; written by the operator only.")
    public ProxySiteStatus getStatus() {
        return super.getStatus();
    }
}
