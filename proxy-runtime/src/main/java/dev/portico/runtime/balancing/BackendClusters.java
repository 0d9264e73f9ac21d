package dev.portico.runtime.balancing;

import dev.portico.crds.bundle.BackendEndpoints;
import dev.portico.crds.units.Durations;
import dev.portico.crds.v1alpha1.Backend;
import dev.portico.crds.v1alpha1.LoadBalancer;
import dev.portico.crds.v1alpha1.PassiveHealth;
import dev.portico.runtime.retry.RetryBudget;
import dev.portico.runtime.routing.RouteAction.UpstreamTarget;
import io.netty.util.NetUtil;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Compiles backends into {@link Cluster}s, and keeps what must outlive a config generation:
 * the {@link Endpoint}s (their requests in progress, their outlier counts and ejections), the
 * DNS backends' endpoints and the retry budgets. A push that changes only endpoints keeps the
 * state of those that remain; those that went are forgotten once the new config applies
 * ({@link #commit}). One per runtime, like the rate limiters.
 */
public final class BackendClusters {

    private final Map<UpstreamTarget, Endpoint> endpoints = new ConcurrentHashMap<>();
    private final Map<UpstreamTarget, DnsEndpoints> dns = new ConcurrentHashMap<>();
    private final Map<UpstreamTarget, RetryBudget> budgets = new ConcurrentHashMap<>();
    private final Set<UpstreamTarget> used = ConcurrentHashMap.newKeySet();
    private final AtomicLong ejections = new AtomicLong();
    private volatile Set<UpstreamTarget> departed = Set.of();
    private final OutlierDetector.Listener listener = endpoint -> ejections.incrementAndGet();

    /**
     * @param backend the route's backend, normalised
     * @param target  its pool key (service, port, TLS settings)
     * @param file    the bundle's endpoints ({@link BackendEndpoints#none()} outside a cluster)
     */
    public Cluster compile(Backend backend, UpstreamTarget target, BackendEndpoints file) {
        EndpointSet set = null;
        DnsEndpoints resolver = null;
        List<BackendEndpoints.Endpoint> resolved = file.get(backend.service(), backend.port());
        if (resolved != null) {
            // The operator's word: an entry with nothing routable means 503, never DNS.
            List<Endpoint> routable = new ArrayList<>();
            List<Endpoint> fallback = new ArrayList<>();
            for (BackendEndpoints.Endpoint e : resolved) {
                if (e.routable()) {
                    routable.add(endpoint(target, e.address(), e.port()));
                } else if (e.serving() && e.terminating()) {
                    fallback.add(endpoint(target, e.address(), e.port()));
                }
            }
            set = new EndpointSet(routable, fallback);
        } else if (backend.addresses() != null && !backend.addresses().isEmpty()) {
            List<Endpoint> listed = new ArrayList<>();
            for (String address : backend.addresses()) {
                InetSocketAddress parsed = parseAddress(address, backend.port());
                listed.add(endpoint(target, parsed.getHostString(), parsed.getPort()));
            }
            set = EndpointSet.of(listed);
        } else if (NetUtil.isValidIpV4Address(backend.service()) || NetUtil.isValidIpV6Address(backend.service())) {
            set = EndpointSet.of(List.of(endpoint(target, backend.service(), backend.port())));
        } else {
            resolver = dns.computeIfAbsent(target, DnsEndpoints::new);
        }
        used.add(target);
        RetryBudget budget = budgets.computeIfAbsent(target, t -> new RetryBudget());
        LoadBalancer lb = backend.loadBalancer();
        StickyCookie sticky = sticky(lb);
        return new Cluster(target, set, resolver, policy(lb, sticky), outliers(backend), sticky, budget);
    }

    /** Forgets the state of endpoints and backends that the config just applied no longer has. */
    public void commit() {
        Set<UpstreamTarget> keep = new HashSet<>(used);
        used.clear();
        Set<UpstreamTarget> gone = new HashSet<>(endpoints.keySet());
        gone.removeAll(keep);
        departed = Set.copyOf(gone);
        endpoints.keySet().retainAll(keep);
        dns.keySet().retainAll(keep);
        budgets.keySet().retainAll(keep);
    }

    /** The endpoints the last committed config dropped: their idle pooled connections can go. */
    public Set<UpstreamTarget> departed() {
        return departed;
    }

    /** A config that did not apply: what it would have used is not kept for it. */
    public void abandon() {
        used.clear();
    }

    /** Endpoint ejections since start, for the metrics. */
    public long ejections() {
        return ejections.get();
    }

    /** Endpoints ejected now. */
    public int ejectedNow() {
        long now = System.nanoTime();
        int out = 0;
        for (Endpoint endpoint : endpoints.values()) {
            out += endpoint.ejected(now) ? 1 : 0;
        }
        for (DnsEndpoints resolver : dns.values()) {
            for (Endpoint endpoint : resolver.last()) {
                out += endpoint.ejected(now) ? 1 : 0;
            }
        }
        return out;
    }

    private Endpoint endpoint(UpstreamTarget backend, String address, int port) {
        UpstreamTarget target = new UpstreamTarget(address, port, backend.tls(), backend.serverName(),
                backend.insecureSkipVerify(), backend.wire());
        used.add(target);
        // Unresolved: connected through the runtime's resolver, which passes IP literals through (and a
        // testbed maps its pod IPs with).
        return endpoints.computeIfAbsent(target, t -> new Endpoint(t, InetSocketAddress.createUnresolved(address, port)));
    }

    /** {@code 10.0.0.5}, {@code 10.0.0.5:8080}, {@code fd00::5}, {@code [fd00::5]:8080}; no port: {@code port}. */
    static InetSocketAddress parseAddress(String address, int port) {
        String host = address;
        int chosen = port;
        if (address.startsWith("[")) {
            int end = address.indexOf(']');
            host = address.substring(1, end);
            if (end + 1 < address.length()) {
                chosen = Integer.parseInt(address.substring(end + 2));
            }
        } else if (address.indexOf(':') > 0 && address.indexOf(':') == address.lastIndexOf(':')) {
            host = address.substring(0, address.indexOf(':'));
            chosen = Integer.parseInt(address.substring(address.indexOf(':') + 1));
        }
        return InetSocketAddress.createUnresolved(host, chosen);
    }

    private static StickyCookie sticky(LoadBalancer lb) {
        if (lb == null || lb.consistentHash() == null || lb.consistentHash().type() != LoadBalancer.HashType.Cookie) {
            return null;
        }
        LoadBalancer.CookieKey cookie = lb.consistentHash().cookie();
        return new StickyCookie(cookie.name(), cookie.path() == null ? "/" : cookie.path(),
                cookie.ttl() == null ? null : Durations.parse(cookie.ttl()));
    }

    private static BalancingPolicy policy(LoadBalancer lb, StickyCookie sticky) {
        LoadBalancer.Type type = lb == null || lb.type() == null ? LoadBalancer.Type.RoundRobin : lb.type();
        return switch (type) {
            case RoundRobin -> new RoundRobin();
            case LeastRequest -> new LeastRequest();
            case ConsistentHash -> new ConsistentHash(switch (lb.consistentHash().type()) {
                case Header -> new ConsistentHash.Key.Header(lb.consistentHash().header().name());
                case Cookie -> new ConsistentHash.Key.Cookie(sticky);
                case SourceIP -> new ConsistentHash.Key.SourceIp();
            });
        };
    }

    private OutlierDetector outliers(Backend backend) {
        PassiveHealth passive = backend.healthCheck() == null ? null : backend.healthCheck().passive();
        if (passive == null || Boolean.FALSE.equals(passive.enabled())) {
            return OutlierDetector.DISABLED;
        }
        return new OutlierDetector(true, orDefault(passive.consecutiveFailures(), 5),
                orDefault(passive.consecutive5xx(), 0),
                Durations.parse(passive.baseEjectionTime() == null ? "10s" : passive.baseEjectionTime()),
                Durations.parse(passive.maxEjectionTime() == null ? "300s" : passive.maxEjectionTime()),
                orDefault(passive.maxEjectionPercent(), 50), System::nanoTime, listener);
    }

    private static int orDefault(Integer value, int fallback) {
        return value == null ? fallback : value;
    }
}
