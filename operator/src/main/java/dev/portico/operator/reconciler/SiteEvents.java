package dev.portico.operator.reconciler;

import dev.portico.crds.v1alpha1.ProxySite;
import dev.portico.operator.api.ProxySiteResource;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Kubernetes Events about a ProxySite, from the reconciler and from the ACME worker. */
public final class SiteEvents {

    private static final Logger LOG = LoggerFactory.getLogger(SiteEvents.class);

    private SiteEvents() {}

    /** @param type "Normal" or "Warning" */
    public static void record(KubernetesClient client, ProxySiteResource site, String type, String reason, String message) {
        String now = Instant.now().toString();
        var event = new EventBuilder()
                .withNewMetadata()
                    .withName(site.getMetadata().getName() + "." + UUID.randomUUID().toString().replace("-", "").substring(0, 16))
                    .withNamespace(site.getMetadata().getNamespace())
                .endMetadata()
                .withNewInvolvedObject()
                    .withApiVersion(ProxySite.API_VERSION)
                    .withKind(ProxySite.KIND)
                    .withName(site.getMetadata().getName())
                    .withNamespace(site.getMetadata().getNamespace())
                    .withUid(site.getMetadata().getUid())
                    .withResourceVersion(site.getMetadata().getResourceVersion())
                .endInvolvedObject()
                .withType(type)
                .withReason(reason)
                .withMessage(message)
                .withCount(1)
                .withFirstTimestamp(now)
                .withLastTimestamp(now)
                .withNewSource().withComponent("portico-operator").endSource()
                .withReportingComponent("portico.dev/operator")
                .build();
        try {
            client.v1().events().inNamespace(site.getMetadata().getNamespace()).resource(event).create();
        } catch (KubernetesClientException e) {
            // An Event is a courtesy: the condition already says it. Never fail the caller for it.
            LOG.warn("Could not record Event {} for ProxySite {}/{}: {}", reason, site.getMetadata().getNamespace(),
                    site.getMetadata().getName(), e.getMessage());
        }
    }
}
