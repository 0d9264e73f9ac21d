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
 * route change does not hand every client a full bucket. A route's limiter is known by the route's match (and, for
 * routes matching alike, which of them it is), not by its place in the list: adding a route before it keeps its
 * buckets.
 */
public final class RateLimiters {

    private RateLimiter current;
    private Map<RouteKey, RateLimiter> byRoute = Map.of();

    private record RouteKey(RouteMatch match, int occurrence) {}

    /** The limiter for {@code spec}, or null when the site has none. */
    public synchronized RateLimiter forSpec(RateLimit spec) {
        if (spec == null || Boolean.FALSE.equals(spec.enabled())) {
            current = null;
            return null;
        }
        current = keptOrNew(current, spec);
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
        byRoute = kept;
        return limiters;
    }

    private static RateLimiter keptOrNew(RateLimiter limiter, RateLimit spec) {
        int rps = spec.requestsPerSecond();
        int burst = spec.burst() == null ? rps : spec.burst();
        return limiter != null && limiter.sameSettings(rps, burst) ? limiter : new RateLimiter(rps, burst);
    }
}
