package dev.portico.runtime.balancing;

import java.util.List;

/**
 * A backend's endpoints at one moment. New requests go to the routable ones (ready, not
 * terminating); when there are none, to those terminating but still serving, as kube-proxy
 * does; when there are none of those either, nowhere (503). Endpoints that left the set get
 * no new request, and the requests they carry finish: the exchanges hold them.
 */
public record EndpointSet(List<Endpoint> routable, List<Endpoint> fallback) {

    public static final EndpointSet EMPTY = new EndpointSet(List.of(), List.of());

    public EndpointSet {
        routable = List.copyOf(routable);
        fallback = List.copyOf(fallback);
    }

    public static EndpointSet of(List<Endpoint> routable) {
        return new EndpointSet(routable, List.of());
    }

    /** The endpoints new requests may go to; empty when none. */
    public List<Endpoint> candidates() {
        return routable.isEmpty() ? fallback : routable;
    }
}
