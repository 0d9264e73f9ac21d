package dev.portico.operator.reconciler;

import dev.portico.crds.validation.Violation;
import dev.portico.operator.api.ProxyClassResource;
import dev.portico.operator.api.ProxySiteResource;
import dev.portico.operator.proxyclass.ProxyClassSelection;
import dev.portico.operator.proxyclass.ProxyClassValidator;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Constants;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The ProxyClasses the sites run with. One cluster-wide informer (classes are few and
 * cluster-scoped); an index on the primary cache maps a class back to the sites that name it,
 * so a change to a class reconciles exactly those, and the sites that name none (the default
 * class may be this one, or may just have stopped being it).
 */
final class ProxyClasses {

    static final String EVENT_SOURCE = "proxy-classes";
    private static final String INDEX = "portico.dev/proxy-class";
    /** The index key of the sites that name no class, and so run with the default one. */
    private static final String DEFAULT_KEY = "";

    private ProxyClasses() {}

    static InformerEventSource<ProxyClassResource, ProxySiteResource> eventSource(
            EventSourceContext<ProxySiteResource> context) {
        context.getPrimaryCache().addIndexer(INDEX, site -> List.of(indexKey(site)));
        var configuration = InformerEventSourceConfiguration.from(ProxyClassResource.class, ProxySiteResource.class)
                .withName(EVENT_SOURCE)
                // Cluster-scoped: watched across the cluster whatever namespaces the sites are in.
                .withNamespaces(Constants.WATCH_ALL_NAMESPACE_SET)
                .withSecondaryToPrimaryMapper(proxyClass -> Stream.concat(
                                context.getPrimaryCache().byIndex(INDEX, proxyClass.getMetadata().getName()).stream(),
                                context.getPrimaryCache().byIndex(INDEX, DEFAULT_KEY).stream())
                        .map(ResourceID::fromResource)
                        .collect(Collectors.toSet()))
                .build();
        return new InformerEventSource<>(configuration, context);
    }

    private static String indexKey(ProxySiteResource site) {
        String name = site.getSpec() == null ? null : site.getSpec().proxyClassName();
        return name == null ? DEFAULT_KEY : name;
    }

    /**
     * The site's class as the cache holds it. Without the informer (PORTICO_PROXY_CLASSES=false)
     * a site that names a class cannot be resolved, and the others run with the defaults.
     */
    static ProxyClassSelection select(ProxySiteResource site, Context<ProxySiteResource> context, boolean enabled) {
        String name = site.getSpec() == null ? null : site.getSpec().proxyClassName();
        if (!enabled) {
            return name == null ? new ProxyClassSelection.None()
                    : new ProxyClassSelection.Unresolved("ProxyClassesDisabled", new Violation(ProxyClassSelection.PATH,
                            "names ProxyClass \"" + name + "\", but this operator does not read ProxyClasses "
                                    + "(PORTICO_PROXY_CLASSES=false: it has no cluster-wide rights)"));
        }
        @SuppressWarnings("unchecked")
        var source = (InformerEventSource<ProxyClassResource, ProxySiteResource>)
                context.eventSourceRetriever().getEventSourceFor(ProxyClassResource.class, EVENT_SOURCE);
        return ProxyClassSelection.of(name, source.list().toList());
    }

    /** A selected class that is not valid, as one unresolved reference of the site; else empty. */
    static List<Violation> problems(ProxyClassResource proxyClass) {
        String name = proxyClass.getMetadata().getName();
        return ProxyClassValidator.validate(proxyClass.getSpec()).stream()
                .map(v -> new Violation(ProxyClassSelection.PATH, "ProxyClass \"" + name + "\" is invalid: "
                        + v.path() + ": " + v.message()))
                .toList();
    }
}
