package dev.portico.operator.reconciler;

import dev.portico.crds.bundle.BackendEndpoints;
import dev.portico.crds.v1alpha1.ProxySiteSpec;
import dev.portico.operator.api.ProxySiteResource;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.util.List;
import java.util.Map;

/**
 * The EndpointSlices of the backend Services the sites' routes name: a pod that turns ready,
 * unready or terminating, or a Deployment that scales, changes a slice; the sites whose routes
 * name its Service re-render their bundle ({@link ServiceEndpoints}) and push it, hot, like
 * any other change, so the proxies balance over the pods the Service has now.
 *
 * <p>Slices are selected by having the label {@code kubernetes.io/service-name}, which every
 * slice of a Service has; a user's Services are unlabeled, so this is namespace-wide like the
 * Service watch. The index on the primary cache that maps a Service to its sites is
 * {@link BackendServices}'s; the index on this informer maps a Service to its slices.
 */
final class BackendEndpointSlices {

    static final String EVENT_SOURCE = "backend-endpoints";
    private static final String BY_SERVICE = "portico.dev/slice-service";

    private BackendEndpointSlices() {}

    static InformerEventSource<EndpointSlice, ProxySiteResource> eventSource(EventSourceContext<ProxySiteResource> context) {
        var slices = InformerEventSourceConfiguration.from(EndpointSlice.class, ProxySiteResource.class)
                .withName(EVENT_SOURCE)
                .withNamespacesInheritedFromController()
                .withLabelSelector(ServiceEndpoints.SERVICE_NAME_LABEL);
        var configuration = InformerStores.endpointSlices(slices, context)
                .withSecondaryToPrimaryMapper(slice -> {
                    String service = serviceOf(slice);
                    return service == null ? java.util.Set.of()
                            : BackendServices.sitesNaming(context, slice.getMetadata().getNamespace(), service);
                })
                .build();
        var source = new InformerEventSource<>(configuration, context);
        source.addIndexers(Map.of(BY_SERVICE, slice -> {
            String service = serviceOf(slice);
            return service == null ? List.of() : List.of(key(slice.getMetadata().getNamespace(), service));
        }));
        return source;
    }

    /** The endpoints file of a valid site whose backend Services all resolved, from the watches' caches. */
    static BackendEndpoints resolve(ProxySiteResource site, ProxySiteSpec spec, Context<ProxySiteResource> context) {
        @SuppressWarnings("unchecked")
        var slices = (InformerEventSource<EndpointSlice, ProxySiteResource>)
                context.eventSourceRetriever().getEventSourceFor(EndpointSlice.class, EVENT_SOURCE);
        String namespace = site.getMetadata().getNamespace();
        return ServiceEndpoints.of(spec, BackendServices.lookup(namespace, context),
                name -> slices.byIndex(BY_SERVICE, key(namespace, name)));
    }

    private static String serviceOf(EndpointSlice slice) {
        return slice.getMetadata().getLabels() == null ? null
                : slice.getMetadata().getLabels().get(ServiceEndpoints.SERVICE_NAME_LABEL);
    }

    private static String key(String namespace, String service) {
        return namespace + "/" + service;
    }
}
