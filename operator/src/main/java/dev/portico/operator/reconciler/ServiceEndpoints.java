package dev.portico.operator.reconciler;

import dev.portico.crds.bundle.BackendEndpoints;
import dev.portico.crds.v1alpha1.Backend;
import dev.portico.crds.v1alpha1.ProxySiteSpec;
import dev.portico.crds.v1alpha1.Route;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Which pod addresses a route's backend Service stands for, read from its EndpointSlices
 * (discovery.k8s.io/v1), as kube-proxy reads them: the proxy then connects to the pods
 * themselves, with their readiness and termination known per connection, instead of to the
 * Service's virtual IP. Pure functions; {@link BackendEndpointSlices} watches the slices.
 *
 * <p>Only the backends {@link BackendServices} checks get an entry (a plain name, a Service of
 * the site's namespace), and of those not an {@code ExternalName} Service, which is a DNS alias
 * with no endpoints: every other backend stays with DNS.
 */
final class ServiceEndpoints {

    /** The label the EndpointSlice controller (and anyone writing slices by hand) ties a slice to its Service with. */
    static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";
    private static final String EXTERNAL_NAME = "ExternalName";
    private static final String TCP = "TCP";

    private ServiceEndpoints() {}

    /**
     * The endpoints file of a site whose backends resolved: one entry per route backend that
     * names an existing Service of the site's namespace, other than ExternalName, by a TCP port
     * it exposes.
     *
     * @param services a Service of the site's namespace by (lower-case) name
     * @param slices   the EndpointSlices of a Service of the site's namespace by its name
     */
    static BackendEndpoints of(ProxySiteSpec spec, Function<String, Optional<Service>> services,
            Function<String, List<EndpointSlice>> slices) {
        Map<String, List<BackendEndpoints.Endpoint>> entries = new TreeMap<>();
        List<Route> routes = spec == null || spec.routes() == null ? List.of() : spec.routes();
        for (Route route : routes) {
            Backend backend = route == null ? null : route.backend();
            Optional<String> name = backend == null ? Optional.empty() : BackendServices.serviceName(backend.service());
            if (name.isEmpty()) {
                continue;
            }
            String key = BackendEndpoints.key(name.get(), backend.port());
            if (entries.containsKey(key)) {
                continue;
            }
            services.apply(name.get())
                    .flatMap(service -> endpoints(service, backend.port(), slices.apply(name.get())))
                    .ifPresent(endpoints -> entries.put(key, endpoints));
        }
        return BackendEndpoints.of(entries);
    }

    /**
     * The endpoints behind port {@code port} of {@code service}: of each IPv4 or IPv6 slice, the
     * endpoints with the slice port named as the Service port is (the number a pod listens on,
     * which the EndpointSlice controller resolved from the targetPort, perhaps a named one); an
     * address in two slices (the controller moves endpoints between slices in two writes) is
     * listed once, with the better conditions. Empty when the backend is not to be resolved here:
     * an ExternalName Service, or no TCP port of that number.
     */
    static Optional<List<BackendEndpoints.Endpoint>> endpoints(Service service, int port,
            Collection<EndpointSlice> slices) {
        if (service.getSpec() == null || EXTERNAL_NAME.equals(service.getSpec().getType())) {
            return Optional.empty();
        }
        Optional<ServicePort> servicePort = Optional.ofNullable(service.getSpec().getPorts()).orElse(List.of()).stream()
                .filter(p -> p.getPort() != null && p.getPort() == port && isTcp(p.getProtocol()))
                .findFirst();
        if (servicePort.isEmpty()) {
            return Optional.empty();
        }
        String portName = nameOf(servicePort.get().getName());
        Map<String, BackendEndpoints.Endpoint> byAddress = new LinkedHashMap<>();
        for (EndpointSlice slice : slices) {
            if (!"IPv4".equals(slice.getAddressType()) && !"IPv6".equals(slice.getAddressType())) {
                continue; // FQDN slices name hosts, not addresses
            }
            Optional<Integer> target = Optional.ofNullable(slice.getPorts()).orElse(List.of()).stream()
                    .filter(p -> portName.equals(nameOf(p.getName())) && isTcp(p.getProtocol()) && p.getPort() != null)
                    .map(EndpointPort::getPort)
                    .findFirst();
            if (target.isEmpty()) {
                continue; // these pods do not expose the port (a named targetPort they lack)
            }
            for (Endpoint endpoint : Optional.ofNullable(slice.getEndpoints()).orElse(List.of())) {
                endpoint(endpoint, target.get()).ifPresent(found -> byAddress.merge(found.address() + " " + found.port(),
                        found, (a, b) -> rank(b) > rank(a) ? b : a));
            }
        }
        return Optional.of(new ArrayList<>(byAddress.values()));
    }

    /** The endpoint at its first address (the API lets consumers use the first only), with nil conditions as the API defines them. */
    private static Optional<BackendEndpoints.Endpoint> endpoint(Endpoint endpoint, int port) {
        if (endpoint.getAddresses() == null || endpoint.getAddresses().isEmpty()) {
            return Optional.empty();
        }
        EndpointConditions conditions = endpoint.getConditions();
        boolean ready = conditions == null || !Boolean.FALSE.equals(conditions.getReady());
        boolean serving = conditions == null || !Boolean.FALSE.equals(conditions.getServing());
        boolean terminating = conditions != null && Boolean.TRUE.equals(conditions.getTerminating());
        try {
            return Optional.of(new BackendEndpoints.Endpoint(endpoint.getAddresses().get(0), port, ready, serving,
                    terminating));
        } catch (IllegalArgumentException e) {
            return Optional.empty(); // the API server validates addresses; a slice it did not is skipped
        }
    }

    /** Ready before serving before anything else: the view the proxy should act on. */
    private static int rank(BackendEndpoints.Endpoint endpoint) {
        return (endpoint.routable() ? 4 : 0) + (endpoint.serving() ? 2 : 0) + (endpoint.terminating() ? 0 : 1);
    }

    private static boolean isTcp(String protocol) {
        return protocol == null || TCP.equals(protocol);
    }

    /** An unnamed port (a Service with one port) is "" in a Service and in a slice, or absent. */
    private static String nameOf(String name) {
        return Objects.requireNonNullElse(name, "");
    }
}
