package dev.portico.operator.reconciler;

import dev.portico.crds.v1alpha1.Backend;
import dev.portico.crds.v1alpha1.ProxySiteSpec;
import dev.portico.crds.v1alpha1.Route;
import dev.portico.crds.validation.Violation;
import dev.portico.operator.api.ProxySiteResource;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The Services the sites' routes send traffic to. A route whose backend is a Service in the
 * site's namespace that does not exist, or does not expose the route's port, would answer 503
 * or 502 for every request; the operator says so in ResolvedRefs instead and leaves what is
 * serving alone, as for a missing TLS Secret.
 *
 * <p>Only a plain name, one DNS label such as {@code vera-backend}, is checked: in a pod it
 * resolves (through the search path) to that Service of the site's namespace. A name with a dot
 * ({@code vera.other-ns}, {@code vera.other-ns.svc.cluster.local}, {@code api.example.com}, an
 * IPv4 address), an IPv6 address and {@code localhost} (a sidecar of the proxy pod) are left to
 * DNS: they may name another namespace, which the operator need not be allowed to read, or
 * something outside the cluster.
 */
final class BackendServices {

    static final String EVENT_SOURCE = "backend-services";
    static final String NOT_FOUND = "BackendNotFound";
    static final String PORT_NOT_FOUND = "BackendPortNotFound";
    private static final String INDEX = "portico.dev/backend-service";
    /** An RFC 1035 label, the form of every Service name; compared case-insensitively, as DNS does. */
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z]([-a-z0-9]{0,61}[a-z0-9])?", Pattern.CASE_INSENSITIVE);
    private static final String EXTERNAL_NAME = "ExternalName";

    private BackendServices() {}

    /** The Service a backend name means in the site's namespace, or empty when the name is not checked. */
    static Optional<String> serviceName(String backendService) {
        if (backendService == null || !DNS_LABEL.matcher(backendService).matches()
                || "localhost".equalsIgnoreCase(backendService)) {
            return Optional.empty();
        }
        return Optional.of(backendService.toLowerCase(Locale.ROOT));
    }

    /** The distinct Service names the spec's routes refer to and the operator checks, in the order written. */
    static List<String> checkedNames(ProxySiteSpec spec) {
        if (spec == null || spec.routes() == null) {
            return List.of();
        }
        return spec.routes().stream()
                .filter(route -> route != null && route.backend() != null)
                .map(route -> serviceName(route.backend().service()))
                .flatMap(Optional::stream)
                .distinct()
                .toList();
    }

    /**
     * Watches every Service of the watched namespaces, each reduced to its type and ports
     * ({@link InformerStores}): a user's Services carry no label the operator could select
     * on. The index on the primary cache maps a Service back to the sites
     * whose routes name it, so a Service that appears, changes its ports or goes away
     * reconciles exactly those sites, and any other Service event is dropped at once.
     */
    static InformerEventSource<Service, ProxySiteResource> eventSource(EventSourceContext<ProxySiteResource> context) {
        context.getPrimaryCache().addIndexer(INDEX, site -> checkedNames(site.getSpec()).stream()
                .map(name -> indexKey(name, site.getMetadata().getNamespace()))
                .toList());
        var services = InformerEventSourceConfiguration.from(Service.class, ProxySiteResource.class)
                .withName(EVENT_SOURCE)
                .withNamespacesInheritedFromController();
        // Of each Service only what portProblem reads.
        var configuration = InformerStores.referenced(services, context, Service.class, "spec.type", "spec.ports")
                .withSecondaryToPrimaryMapper(service -> sitesNaming(context, service.getMetadata().getNamespace(),
                        service.getMetadata().getName()))
                .withPrimaryToSecondaryMapper((ProxySiteResource site) -> checkedNames(site.getSpec()).stream()
                        .map(name -> new ResourceID(name, site.getMetadata().getNamespace()))
                        .collect(Collectors.toSet()))
                .build();
        return new InformerEventSource<>(configuration, context);
    }

    /** The sites whose routes name Service {@code namespace/name} (also what its EndpointSlices map to). */
    static Set<ResourceID> sitesNaming(EventSourceContext<ProxySiteResource> context, String namespace, String name) {
        return context.getPrimaryCache().byIndex(INDEX, indexKey(name, namespace)).stream()
                .map(ResourceID::fromResource)
                .collect(Collectors.toSet());
    }

    /** The cached Services of {@code namespace} by name. */
    static Function<String, Optional<Service>> lookup(String namespace, Context<ProxySiteResource> context) {
        @SuppressWarnings("unchecked")
        var services = (InformerEventSource<Service, ProxySiteResource>)
                context.eventSourceRetriever().getEventSourceFor(Service.class, EVENT_SOURCE);
        return name -> services.get(new ResourceID(name, namespace));
    }

    private static String indexKey(String name, String namespace) {
        return namespace + "/" + name;
    }

    /** What is wrong with the backends of a valid, normalised spec: empty when every checked one resolves. */
    static StatusFactory.Verdict resolve(ProxySiteResource site, ProxySiteSpec spec, Context<ProxySiteResource> context) {
        String namespace = site.getMetadata().getNamespace();
        return resolve(spec, namespace, lookup(namespace, context));
    }

    /** Pure: {@code lookup} finds a Service of the site's namespace by name. */
    static StatusFactory.Verdict resolve(ProxySiteSpec spec, String namespace,
            Function<String, Optional<Service>> lookup) {
        List<Violation> problems = new ArrayList<>();
        boolean anyMissing = false;
        List<Route> routes = spec.routes() == null ? List.of() : spec.routes();
        for (int i = 0; i < routes.size(); i++) {
            Backend backend = routes.get(i).backend();
            Optional<String> name = backend == null ? Optional.empty() : serviceName(backend.service());
            if (name.isEmpty()) {
                continue;
            }
            String path = "spec.routes[" + i + "].backend";
            Optional<Service> service = lookup.apply(name.get());
            if (service.isEmpty()) {
                anyMissing = true;
                problems.add(new Violation(path + ".service",
                        "Service \"" + name.get() + "\" not found in namespace \"" + namespace + "\""));
                continue;
            }
            String portProblem = portProblem(service.get(), backend.port());
            if (portProblem != null) {
                problems.add(new Violation(path + ".port", "Service \"" + name.get() + "\" in namespace \""
                        + namespace + "\" " + portProblem));
            }
        }
        if (problems.isEmpty()) {
            return StatusFactory.Verdict.valid();
        }
        return StatusFactory.Verdict.unresolved(anyMissing ? NOT_FOUND : PORT_NOT_FOUND, problems);
    }

    /**
     * Why {@code service} cannot take traffic on {@code port}, or null if it can. The proxy
     * connects to the Service's port (spec.ports[].port), never to a targetPort; an
     * ExternalName Service is a DNS alias with no ports of its own, so any port passes.
     */
    static String portProblem(Service service, int port) {
        if (service.getSpec() != null && EXTERNAL_NAME.equals(service.getSpec().getType())) {
            return null;
        }
        List<Integer> ports = service.getSpec() == null || service.getSpec().getPorts() == null ? List.of()
                : service.getSpec().getPorts().stream().map(ServicePort::getPort).filter(Objects::nonNull).toList();
        if (ports.contains(port)) {
            return null;
        }
        return ports.isEmpty() ? "exposes no ports; the route needs port " + port
                : "has no port " + port + " (it exposes " + ports.stream().map(String::valueOf)
                        .collect(Collectors.joining(", ")) + ")";
    }
}
