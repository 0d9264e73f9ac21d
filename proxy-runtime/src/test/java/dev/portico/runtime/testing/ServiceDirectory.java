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
    /** A pod address that leads wherever a Service's entry leads, now or once it is put. */
    private final Map<String, String> aliases = new ConcurrentHashMap<>();

    /** {@code service:port} now reaches {@code backend}. */
    public ServiceDirectory put(String service, int port, int backendPort) {
        entries.put(service + ":" + port, new InetSocketAddress("127.0.0.1", backendPort));
        return this;
    }

    public ServiceDirectory put(String service, int port, TestBackend backend) {
        return put(service, port, backend.port());
    }

    /**
     * {@code address:port} (an endpoint a test wrote into an EndpointSlice) leads wherever
     * {@code service:servicePort} leads when a connection is made, also if that entry is put later.
     */
    public ServiceDirectory alias(String address, int port, String service, int servicePort) {
        aliases.put(address + ":" + port, service + ":" + servicePort);
        return this;
    }

    private InetSocketAddress lookup(String key) {
        InetSocketAddress target = entries.get(key);
        if (target == null && aliases.containsKey(key)) {
            target = entries.get(aliases.get(key));
        }
        return target;
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
                String key = address.getHostString() + ":" + address.getPort();
                return !address.isUnresolved() && !entries.containsKey(key) && !aliases.containsKey(key);
            }

            @Override
            protected void doResolve(InetSocketAddress unresolved, Promise<InetSocketAddress> promise) {
                InetSocketAddress target = lookup(unresolved.getHostString() + ":" + unresolved.getPort());
                if (target == null) {
                    promise.setFailure(new UnknownHostException(unresolved.getHostString()));
                } else {
                    promise.setSuccess(target);
                }
            }

            @Override
            protected void doResolveAll(InetSocketAddress unresolved, Promise<List<InetSocketAddress>> promise) {
                InetSocketAddress target = lookup(unresolved.getHostString() + ":" + unresolved.getPort());
                if (target == null) {
                    promise.setFailure(new UnknownHostException(unresolved.getHostString()));
                } else {
                    promise.setSuccess(List.of(target));
                }
            }
        };
    }
}
