package dev.portico.runtime.testing;

import io.netty.resolver.AbstractAddressResolver;
import io.netty.resolver.AddressResolver;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Stands in for a cluster's Service DNS: maps a backend's {@code service:port}, as a site
 * names it, to a loopback address and port where a test backend listens. Names it does not
 * know fail to resolve, as an unknown Service would.
 *
 * <p>It stands in for the pod network too: an entry may be a pod's {@code ip:port}
 * (10.244.x.y, an address EndpointSlices accept and no interface of this machine has), and a
 * connection to that address, resolved or not, goes to the entry's loopback listener instead.
 */
public final class ServiceDirectory extends AddressResolverGroup<InetSocketAddress> {

    private final Map<String, InetSocketAddress> entries = new ConcurrentHashMap<>();

    /** {@code service:port} now reaches {@code backend}. */
    public ServiceDirectory put(String service, int port, int backendPort) {
        entries.put(service + ":" + port, new InetSocketAddress("127.0.0.1", backendPort));
        return this;
    }

    public ServiceDirectory put(String service, int port, TestBackend backend) {
        return put(service, port, backend.port());
    }

    /** {@code host:port} (a Service or a pod address) no longer leads anywhere. */
    public ServiceDirectory remove(String host, int port) {
        entries.remove(host + ":" + port);
        return this;
    }

    @Override
    protected AddressResolver<InetSocketAddress> newResolver(EventExecutor executor) {
        return new AbstractAddressResolver<>(executor, InetSocketAddress.class) {
            @Override
            protected boolean doIsResolved(InetSocketAddress address) {
                // A pod address is an IP already, but must still be mapped to its listener.
                return !address.isUnresolved() && !entries.containsKey(address.getHostString() + ":" + address.getPort());
            }

            @Override
            protected void doResolve(InetSocketAddress unresolved, Promise<InetSocketAddress> promise) {
                InetSocketAddress target = entries.get(unresolved.getHostString() + ":" + unresolved.getPort());
                if (target == null) {
                    promise.setFailure(new UnknownHostException(unresolved.getHostString()));
                } else {
                    promise.setSuccess(target);
                }
            }

            @Override
            protected void doResolveAll(InetSocketAddress unresolved, Promise<List<InetSocketAddress>> promise) {
                InetSocketAddress target = entries.get(unresolved.getHostString() + ":" + unresolved.getPort());
                if (target == null) {
                    promise.setFailure(new UnknownHostException(unresolved.getHostString()));
                } else {
                    promise.setSuccess(List.of(target));
                }
            }
        };
    }
}
