package dev.portico.runtime.balancing;

import dev.portico.runtime.routing.RouteAction.UpstreamTarget;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A backend that only has a DNS name: every address the name resolves to is an endpoint.
 * Each request asks the event loop's resolver for all of them; Netty's DNS resolver answers
 * from its cache until the records' TTL runs out and then queries again without blocking the
 * loop, so the set follows DNS at the pace of the TTL. The endpoints of addresses seen keep
 * their counts while the name keeps resolving to them.
 */
public final class DnsEndpoints {

    private final UpstreamTarget backend;
    private final ConcurrentHashMap<InetSocketAddress, Endpoint> known = new ConcurrentHashMap<>();
    private volatile List<Endpoint> last = List.of();

    DnsEndpoints(UpstreamTarget backend) {
        this.backend = backend;
    }

    /** The endpoints the name resolves to now; fails as the resolver does (UnknownHostException: 503). */
    @SuppressWarnings("unchecked")
    public Future<List<Endpoint>> resolve(EventExecutor loop, AddressResolverGroup<? extends SocketAddress> resolvers) {
        Promise<List<Endpoint>> promise = loop.newPromise();
        Future<? extends List<? extends SocketAddress>> all = resolvers.getResolver(loop)
                .resolveAll(InetSocketAddress.createUnresolved(backend.host(), backend.port()));
        if (all.isDone()) {
            complete(all, promise);
        } else {
            all.addListener(f -> complete(all, promise));
        }
        return promise;
    }

    /** The endpoints of the last answer, for the outlier detector's share. */
    public List<Endpoint> last() {
        return last;
    }

    private void complete(Future<? extends List<? extends SocketAddress>> all, Promise<List<Endpoint>> promise) {
        if (!all.isSuccess()) {
            promise.setFailure(all.cause());
            return;
        }
        List<Endpoint> endpoints = new ArrayList<>(all.getNow().size());
        for (SocketAddress address : all.getNow()) {
            if (address instanceof InetSocketAddress inet && !inet.isUnresolved()) {
                endpoints.add(known.computeIfAbsent(inet, a -> new Endpoint(new UpstreamTarget(
                        a.getAddress().getHostAddress(), a.getPort(), backend.tls(), backend.serverName(),
                        backend.insecureSkipVerify(), backend.wire()), a)));
            }
        }
        if (!endpoints.equals(last)) {
            last = List.copyOf(endpoints);
            known.keySet().removeIf(a -> endpoints.stream().noneMatch(e -> e.remote().equals(a)));
        }
        promise.setSuccess(endpoints);
    }
}
