package dev.portico.operator.reconciler;

import dev.portico.crds.v1alpha1.ProxySiteStatus;
import dev.portico.operator.api.ProxySiteResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.List;
import java.util.Map;

/**
 * Writes a site's whole status with one JSON Patch operation on the status subresource. A
 * diff against the cached copy (what JOSDK's patchStatus sends without server-side apply)
 * goes wrong when the cache is a status behind: its operations then land on a status they
 * were not computed from, and a mix of two statuses stays until the next change (seen as
 * Programmed=False with "3/3 pods serve" for a minute). Replacing the status whole cannot
 * mix. ({@code add} replaces a member that exists and creates one that does not; a JSON
 * merge patch would do too on a real API server, but fabric8's mock server appends lists.)
 */
final class StatusWriter {

    private StatusWriter() {}

    static void write(KubernetesClient client, ProxySiteResource site, ProxySiteStatus status) {
        String patch = Serialization.asJson(List.of(Map.of("op", "add", "path", "/status", "value", status)));
        // resource(site), not withName: fabric8 GETs a named object before patching it, one more
        // round trip and a "get" the operator's ClusterRole does not grant.
        client.resources(ProxySiteResource.class)
                .inNamespace(site.getMetadata().getNamespace())
                .resource(site)
                .subresource("status")
                .patch(PatchContext.of(PatchType.JSON), patch);
    }
}
