package dev.portico.operator.reconciler;

import dev.portico.crds.v1alpha1.ProxySiteSpec;
import io.javaoperatorsdk.operator.api.reconciler.Context;

/**
 * What one reconcile of a valid ProxySite derives once and every dependent reads: the
 * normalised spec, the rendered bundle and the proxy image.
 */
record SiteModel(ProxySiteSpec spec, ConfigBundle bundle, String image) {

    static SiteModel of(Context<?> context) {
        return context.managedWorkflowAndDependentResourceContext().getMandatory(SiteModel.class, SiteModel.class);
    }

    void putInto(Context<?> context) {
        context.managedWorkflowAndDependentResourceContext().put(SiteModel.class, this);
    }
}
