package dev.portico.operator.reconciler;

import dev.portico.crds.v1alpha1.ProxySiteSpec;
import dev.portico.operator.pki.ServingCertificate;
import dev.portico.operator.proxyclass.PodSettings;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import java.util.Set;

/**
 * What one reconcile of a valid ProxySite derives once and every dependent reads: the
 * normalised spec (its ProxyClass's service defaults merged in), the rendered bundle, how the
 * pods run (the class's settings over the defaults), the push token, the pods' admin
 * certificate, where the operator runs (for the NetworkPolicy of the admin port) and where
 * Prometheus may scrape from (of the metrics port).
 */
record SiteModel(ProxySiteSpec spec, ConfigBundle bundle, PodSettings pod, String adminToken,
        ServingCertificate adminCertificate, String operatorNamespace, Set<String> metricsNamespaces) {

    static SiteModel of(Context<?> context) {
        return context.managedWorkflowAndDependentResourceContext().getMandatory(SiteModel.class, SiteModel.class);
    }

    void putInto(Context<?> context) {
        context.managedWorkflowAndDependentResourceContext().put(SiteModel.class, this);
    }
}
