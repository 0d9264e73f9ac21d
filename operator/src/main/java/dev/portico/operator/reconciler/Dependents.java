package dev.portico.operator.reconciler;

import dev.portico.operator.api.ProxySiteResource;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;

/**
 * One dependent per owned kind. Each only hands {@link DerivedResources} what the reconcile
 * derived ({@link SiteModel}); their informers see only objects labelled managed-by=portico.
 */
public final class Dependents {

    private Dependents() {}

    @KubernetesDependent(informer = @Informer(labelSelector = DerivedResources.MANAGED_SELECTOR))
    public static class BundleSecret extends CRUDKubernetesDependentResource<Secret, ProxySiteResource> {
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
    @KubernetesDependent(informer = @Informer(labelSelector = DerivedResources.MANAGED_SELECTOR))
    public static class AdminTokenSecret extends CRUDKubernetesDependentResource<Secret, ProxySiteResource> {
        public AdminTokenSecret() {
            super(Secret.class);
        }

        @Override
        protected Secret desired(ProxySiteResource site, Context<ProxySiteResource> context) {
            SiteModel model = SiteModel.of(context);
            return DerivedResources.adminSecret(site, model.adminToken(), model.adminCertificate());
        }
    }

    @KubernetesDependent(informer = @Informer(labelSelector = DerivedResources.MANAGED_SELECTOR))
    public static class ProxyNetworkPolicy extends CRUDKubernetesDependentResource<NetworkPolicy, ProxySiteResource> {
        public ProxyNetworkPolicy() {
            super(NetworkPolicy.class);
        }

        @Override
        protected NetworkPolicy desired(ProxySiteResource site, Context<ProxySiteResource> context) {
            return DerivedResources.networkPolicy(site, SiteModel.of(context).operatorNamespace());
        }
    }

    @KubernetesDependent(informer = @Informer(labelSelector = DerivedResources.MANAGED_SELECTOR))
    public static class ProxyServiceAccount extends CRUDKubernetesDependentResource<ServiceAccount, ProxySiteResource> {
        public ProxyServiceAccount() {
            super(ServiceAccount.class);
        }

        @Override
        protected ServiceAccount desired(ProxySiteResource site, Context<ProxySiteResource> context) {
            return DerivedResources.serviceAccount(site);
        }
    }

    @KubernetesDependent(informer = @Informer(labelSelector = DerivedResources.MANAGED_SELECTOR))
    public static class ProxyDeployment extends CRUDKubernetesDependentResource<Deployment, ProxySiteResource> {
        public ProxyDeployment() {
            super(Deployment.class);
        }

        @Override
        protected Deployment desired(ProxySiteResource site, Context<ProxySiteResource> context) {
            SiteModel model = SiteModel.of(context);
            return DerivedResources.deployment(site, model.spec(), model.image());
        }
    }

    @KubernetesDependent(informer = @Informer(labelSelector = DerivedResources.MANAGED_SELECTOR))
    public static class ProxyService extends CRUDKubernetesDependentResource<Service, ProxySiteResource> {
        public ProxyService() {
            super(Service.class);
        }

        @Override
        protected Service desired(ProxySiteResource site, Context<ProxySiteResource> context) {
            return DerivedResources.service(site, SiteModel.of(context).spec());
        }
    }

    @KubernetesDependent(informer = @Informer(labelSelector = DerivedResources.MANAGED_SELECTOR))
    public static class ProxyDisruptionBudget extends CRUDKubernetesDependentResource<PodDisruptionBudget, ProxySiteResource> {
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
