package dev.portico.runtime.balancing;

import java.util.List;

/**
 * The same key to the same endpoint while it can take requests (sticky sessions): a header's
 * value, the client address, or the endpoint a sticky cookie names. A request without a key
 * goes round robin (a cookie balancer then sets the cookie, see {@link StickyCookie}).
 */
public final class ConsistentHash implements BalancingPolicy {

    /** Where the key comes from. */
    public sealed interface Key {
        record Header(String name) implements Key {}

        record SourceIp() implements Key {}

        /** The cookie's value is the id of an endpoint ({@link Endpoint#id()}), not hashed. */
        record Cookie(StickyCookie cookie) implements Key {}
    }

    private final Key key;
    private final RoundRobin keyless = new RoundRobin();

    public ConsistentHash(Key key) {
        this.key = key;
    }

    public Key key() {
        return key;
    }

    @Override
    public Endpoint pick(List<Endpoint> candidates, PickRequest request) {
        if (key instanceof Key.Cookie cookie) {
            String id = request.cookie(cookie.cookie().name());
            if (id != null) {
                for (Endpoint endpoint : candidates) {
                    if (endpoint.id().equals(id)) {
                        return endpoint;
                    }
                }
            }
            return keyless.pick(candidates, request);
        }
        if (key instanceof Key.Header header) {
            String value = request.headers().get(header.name());
            return value == null ? keyless.pick(candidates, request)
                    : Rendezvous.pick(candidates, Hashing.of(value));
        }
        return request.client() == null ? keyless.pick(candidates, request)
                : Rendezvous.pick(candidates, Hashing.of(request.client().getAddress()));
    }
}
