package dev.portico.runtime.balancing;

import dev.portico.runtime.retry.RetryBudget;
import dev.portico.runtime.routing.RouteAction.UpstreamTarget;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * A route's backend compiled: where its endpoints come from (the operator's endpoints, the
 * backend's addresses, or DNS), how requests are spread over them, and which are ejected.
 * Immutable per config generation; the endpoints' counts live in the {@link Endpoint}s, which
 * a push that keeps them keeps too.
 *
 * @param backend  the backend as the route names it: the upstream-connection budget's key, and SNI
 * @param endpoints the operator's or the addresses' endpoints, or null for a DNS backend
 * @param dns       resolves a DNS backend, or null
 * @param sticky    the cookie a Cookie consistent-hash balancer sets, or null
 */
public record Cluster(UpstreamTarget backend, EndpointSet endpoints, DnsEndpoints dns, BalancingPolicy policy,
                      OutlierDetector outliers, StickyCookie sticky, RetryBudget retryBudget) {

    /** A backend of one address, as the pool knew backends before balancing: for callers that make their own. */
    public static Cluster single(UpstreamTarget backend) {
        return new Cluster(backend, EndpointSet.of(List.of(new Endpoint(backend,
                java.net.InetSocketAddress.createUnresolved(backend.host(), backend.port())))), null,
                new RoundRobin(), OutlierDetector.DISABLED, null, new RetryBudget());
    }

    /** The endpoints new requests may go to now, resolving a DNS backend (from cache while its TTL lasts). */
    public Future<List<Endpoint>> candidates(EventExecutor loop, AddressResolverGroup<? extends SocketAddress> resolver) {
        if (dns != null) {
            return dns.resolve(loop, resolver);
        }
        return loop.newSucceededFuture(endpoints.candidates());
    }

    /**
     * Picks for a request among {@code candidates} those not ejected and not in {@code tried}; when
     * that leaves none, those not tried, then any: an ejected endpoint beats no answer.
     *
     * @throws NoEndpointException when there is no candidate at all
     */
    public Endpoint pick(List<Endpoint> candidates, Collection<Endpoint> tried, PickRequest request)
            throws NoEndpointException {
        if (candidates.isEmpty()) {
            throw new NoEndpointException(backend.toString());
        }
        long now = outliers.now();
        List<Endpoint> usable = filter(candidates, tried, now, true);
        if (usable.isEmpty()) {
            usable = filter(candidates, tried, now, false);
        }
        if (usable.isEmpty()) {
            usable = candidates;
        }
        return tried.isEmpty() ? policy.pick(usable, request) : policy.pickAgain(usable, request);
    }

    private static List<Endpoint> filter(List<Endpoint> candidates, Collection<Endpoint> tried, long now,
                                         boolean healthyOnly) {
        boolean all = tried.isEmpty();
        if (all && healthyOnly) {
            for (Endpoint endpoint : candidates) {
                if (endpoint.ejected(now)) {
                    all = false;
                    break;
                }
            }
        }
        if (all) {
            return candidates;
        }
        List<Endpoint> usable = new ArrayList<>(candidates.size());
        for (Endpoint endpoint : candidates) {
            if (!tried.contains(endpoint) && !(healthyOnly && endpoint.ejected(now))) {
                usable.add(endpoint);
            }
        }
        return usable;
    }

    /** The endpoints whose share the outlier detector counts. */
    public List<Endpoint> peers() {
        return dns != null ? dns.last() : endpoints.candidates();
    }

    public void failed(Endpoint endpoint) {
        outliers.failure(endpoint, peers());
    }

    public void responded(Endpoint endpoint, int status) {
        outliers.response(endpoint, status, peers());
    }
}
