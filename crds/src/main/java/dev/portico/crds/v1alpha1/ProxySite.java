package dev.portico.crds.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A ProxySite as a user writes it in a file: the same document that {@code kubectl apply}
 * takes, so the runtime can serve the very file a GitOps repository holds. {@code status}
 * is accepted and ignored: it belongs to the operator.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties("status")
public record ProxySite(String apiVersion, String kind, Metadata metadata, ProxySiteSpec spec) {

    public static final String GROUP = "portico.dev";
    public static final String VERSION = "v1alpha1";
    public static final String API_VERSION = GROUP + "/" + VERSION;
    public static final String KIND = "ProxySite";

    /** The part of Kubernetes object metadata the data plane cares about. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Metadata(String name, String namespace, Long generation) {}
}
