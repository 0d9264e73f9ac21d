package dev.portico.runtime.balancing;

import java.util.List;

/** Picks one of a backend's endpoints for a request. Shared by all event loops: implementations are thread-safe. */
public interface BalancingPolicy {

    /**
     * @param candidates the endpoints that may take the request (routable, not ejected, not tried yet); never empty
     */
    Endpoint pick(List<Endpoint> candidates, PickRequest request);

    /**
     * Picks the endpoint of a retry, among those the request has not tried yet. As {@link #pick} unless
     * picking moves state that first tries share.
     */
    default Endpoint pickAgain(List<Endpoint> candidates, PickRequest request) {
        return pick(candidates, request);
    }
}
