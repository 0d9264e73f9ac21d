package dev.portico.operator.reconciler;

import dev.portico.crds.v1alpha1.ProxySiteStatus;
import dev.portico.operator.api.ProxySiteResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.Map;

/**
 * Writes a site's whole status as one JSON merge patch of the status subresource. A diff
 * against the cached copy (what JOSDK's patchStatus sends without server-side apply) goes
 * wrong when the cache is a status behind: its operations then land on a status they were
 * not computed from, and a mix of two statuses stays until the next change (seen as
 * Programmed=False with "3/3 pods serve" for a minute). Replacing the status whole cannot mix.
 */
final class StatusWriter {

    private StatusWriter() {}

    static void write(KubernetesClient client, ProxySiteResource site, ProxySiteStatus status) {
        // conditions is a list, which a merge patch replaces whole; every other field is set.
        String patch = Serialization.asJson(Map.of("status", status));
        client.resources(ProxySiteResource.class)
                .inNamespace(site.getMetadata().getNamespace())
                .withName(site.getMetadata().getName())
                .subresource("status")
                .patch(PatchContext.of(PatchType.JSON_MERGE), patch);
    }
}
