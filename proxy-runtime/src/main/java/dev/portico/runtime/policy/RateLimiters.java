package dev.portico.runtime.policy;

import dev.portico.crds.v1alpha1.RateLimit;
import dev.portico.crds.v1alpha1.Route;
import dev.portico.crds.v1alpha1.RouteMatch;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Keeps the rate limiters of the site and of its routes across reloads while their settings stay the same, so a
 * route change does not hand every client a full bucket. All of them keep their buckets in one bounded
 * {@link TokenBuckets}, one per runtime like this. A route's limiter is known by the route's match (and, for
 * routes matching alike, which of them it is), not by its place in the list: adding a route before it keeps its
 * buckets.
 */
public final class RateLimiters {

    /** One bound on the buckets of the site's limiter and all the routes'. */
    private final TokenBuckets buckets;
    private RateLimiter current;
    private Map<RouteKey, RateLimiter> byRoute = Map.of();

    public RateLimiters() {
        this(TokenBuckets.MAX_BUCKETS);
    }

    /** @param maxBuckets the bound on the buckets of all limiters together (tests make it small) */
    RateLimiters(int maxBuckets) {
        this.buckets = new TokenBuckets(maxBuckets);
    }

    private record RouteKey(RouteMatch match, int occurrence) {}

    /** The limiter for {@code spec}, or null when the site has none. */
    public synchronized RateLimiter forSpec(RateLimit spec) {
        RateLimiter previous = current;
        current = spec == null || Boolean.FALSE.equals(spec.enabled()) ? null : keptOrNew(previous, spec);
        if (previous != null && previous != current) {
            previous.forget();
        }
        return current;
    }

    /**
     * The limiters of routes with a {@code rateLimit} of their own, in the order of {@code routes}: null for a route
     * without one or with {@code enabled: false} ({@link RoutePolicies} tells those apart). Limiters of routes gone
     * are forgotten.
     */
    public synchronized List<RateLimiter> forRoutes(List<Route> routes) {
        Map<RouteKey, RateLimiter> kept = new HashMap<>();
        Map<RouteMatch, Integer> seen = new HashMap<>();
        List<RateLimiter> limiters = new ArrayList<>(routes.size());
        for (Route route : routes) {
            RateLimit spec = route.rateLimit();
            if (spec == null || Boolean.FALSE.equals(spec.enabled())) {
                limiters.add(null);
                continue;
            }
            RouteKey key = new RouteKey(route.match(), seen.merge(route.match(), 1, Integer::sum));
            RateLimiter limiter = keptOrNew(byRoute.get(key), spec);
            kept.put(key, limiter);
            limiters.add(limiter);
        }
        for (RateLimiter old : byRoute.values()) {
            if (!kept.containsValue(old)) {
                old.forget();
            }
        }
        byRoute = kept;
        return limiters;
    }

    private RateLimiter keptOrNew(RateLimiter limiter, RateLimit spec) {
        int rps = spec.requestsPerSecond();
        int burst = spec.burst() == null ? rps : spec.burst();
        return limiter != null && limiter.sameSettings(rps, burst) ? limiter : new RateLimiter(rps, burst, buckets);
    }
}
