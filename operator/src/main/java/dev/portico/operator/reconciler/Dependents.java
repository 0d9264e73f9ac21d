package dev.portico.operator.reconciler;

import dev.portico.operator.api.ProxySiteResource;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;

/**
 * One dependent per owned kind. Each only hands {@link DerivedResources} what the reconcile
 * derived ({@link SiteModel}); their informers see only objects labelled managed-by=portico,
 * kept without their bookkeeping ({@link InformerStores#owned}). The two Secrets share the
 * bundle's informer: two informers over the same label would cache every Secret twice.
 */
public final class Dependents {

    private Dependents() {}

    /** An owned kind: the object is the site's (garbage collected with it), its informer ours. */
    abstract static class Owned<R extends HasMetadata> extends CRUDKubernetesDependentResource<R, ProxySiteResource> {
        Owned(Class<R> type) {
            super(type);
        }

        @Override
        protected InformerEventSource<R, ProxySiteResource> createEventSource(EventSourceContext<ProxySiteResource> context) {
            var informer = InformerEventSourceConfiguration.from(resourceType(), ProxySiteResource.class)
                    .withName(name())
                    .withNamespacesInheritedFromController()
                    .withLabelSelector(DerivedResources.MANAGED_SELECTOR)
                    .withSecondaryToPrimaryMapper(getSecondaryToPrimaryMapper(context).orElseThrow());
            var source = new InformerEventSource<>(InformerStores.owned(informer, context).build(), context);
            setEventSource(source);
            return source;
        }
    }

    public static class BundleSecret extends Owned<Secret> {
        public BundleSecret() {
            super(Secret.class);
        }

        @Override
        protected Secret desired(ProxySiteResource site, Context<ProxySiteResource> context) {
            return DerivedResources.bundleSecret(site, SiteModel.of(context).bundle());
        }
    }

    /**
     * The push token and the pods' admin certificate; the token is made once and the certificate
     * issued when due, both then read back from the cluster (SiteModel).
     */
    public static class AdminTokenSecret extends Owned<Secret> {
        public AdminTokenSecret() {
            super(Secret.class);
        }

        @Override
        protected Secret desired(ProxySiteResource site, Context<ProxySiteResource> context) {
            SiteModel model = SiteModel.of(context);
            return DerivedResources.adminSecret(site, model.adminToken(), model.adminCertificate());
        }
    }

    public static class ProxyNetworkPolicy extends Owned<NetworkPolicy> {
        public ProxyNetworkPolicy() {
            super(NetworkPolicy.class);
        }

        @Override
        protected NetworkPolicy desired(ProxySiteResource site, Context<ProxySiteResource> context) {
            SiteModel model = SiteModel.of(context);
            return DerivedResources.networkPolicy(site, model.operatorNamespace(), model.metricsNamespaces());
        }
    }

    public static class ProxyServiceAccount extends Owned<ServiceAccount> {
        public ProxyServiceAccount() {
            super(ServiceAccount.class);
        }

        @Override
        protected ServiceAccount desired(ProxySiteResource site, Context<ProxySiteResource> context) {
            return DerivedResources.serviceAccount(site);
        }
    }

    public static class ProxyDeployment extends Owned<Deployment> {
        public ProxyDeployment() {
            super(Deployment.class);
        }

        @Override
        protected Deployment desired(ProxySiteResource site, Context<ProxySiteResource> context) {
            SiteModel model = SiteModel.of(context);
            return DerivedResources.deployment(site, model.spec(), model.pod());
        }
    }

    public static class ProxyService extends Owned<Service> {
        public ProxyService() {
            super(Service.class);
        }

        @Override
        protected Service desired(ProxySiteResource site, Context<ProxySiteResource> context) {
            return DerivedResources.service(site, SiteModel.of(context).spec());
        }
    }

    public static class ProxyDisruptionBudget extends Owned<PodDisruptionBudget> {
        public ProxyDisruptionBudget() {
            super(PodDisruptionBudget.class);
        }

        @Override
        protected PodDisruptionBudget desired(ProxySiteResource site, Context<ProxySiteResource> context) {
            return DerivedResources.podDisruptionBudget(site);
        }
    }

    /** A PDB only makes sense with more than one pod; when this is not met, the workflow deletes it. */
    public static class MoreThanOneReplica implements Condition<PodDisruptionBudget, ProxySiteResource> {
        @Override
        public boolean isMet(DependentResource<PodDisruptionBudget, ProxySiteResource> dependent,
                ProxySiteResource site, Context<ProxySiteResource> context) {
            return SiteModel.of(context).spec().replicas() > 1;
        }
    }
}
