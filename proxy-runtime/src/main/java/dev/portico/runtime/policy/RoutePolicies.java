package dev.portico.runtime.policy;

import dev.portico.crds.v1alpha1.ProxySiteSpec;
import dev.portico.crds.v1alpha1.Route;
import dev.portico.runtime.routing.CompiledRoute;
import java.util.List;
import java.util.Objects;

/**
 * The policies in force for each route: the route's own where it sets one, else the site's. Override means
 * replace: a route with its own {@code accessControl}, {@code rateLimit} or {@code cors} is judged by that alone,
 * never by the site's as well. A request no route takes (it gets 404) is judged by the site's. Looked up by
 * {@link CompiledRoute#order()}, so a request pays one array read per policy.
 */
public final class RoutePolicies {

    private final AccessPolicy siteAccess;
    private final AccessPolicy[] access;
    private final RateLimiter siteRateLimit;
    /** null: unlimited. */
    private final RateLimiter[] rateLimits;
    private final CorsPolicy siteCors;
    /** null: no CORS. */
    private final CorsPolicy[] cors;

    private RoutePolicies(AccessPolicy siteAccess, AccessPolicy[] access, RateLimiter siteRateLimit,
                          RateLimiter[] rateLimits, CorsPolicy siteCors, CorsPolicy[] cors) {
        this.siteAccess = siteAccess;
        this.access = access;
        this.siteRateLimit = siteRateLimit;
        this.rateLimits = rateLimits;
        this.siteCors = siteCors;
        this.cors = cors;
    }

    /**
     * @param siteAccess    spec.accessControl, compiled
     * @param siteRateLimit spec.rateLimit's limiter, or null
     * @param limiters      keeps the routes' limiters across reloads, as it keeps the site's
     */
    public static RoutePolicies compile(ProxySiteSpec spec, AccessPolicy siteAccess, RateLimiter siteRateLimit,
                                        RateLimiters limiters) {
        List<Route> routes = spec.routes();
        int n = routes.size();
        CorsPolicy siteCors = CorsPolicy.of(spec.cors());
        AccessPolicy[] access = new AccessPolicy[n];
        RateLimiter[] rateLimits = new RateLimiter[n];
        CorsPolicy[] cors = new CorsPolicy[n];
        List<RateLimiter> own = limiters.forRoutes(routes);
        for (int i = 0; i < n; i++) {
            Route route = routes.get(i);
            access[i] = route.accessControl() == null ? siteAccess : AccessPolicy.of(route.accessControl());
            rateLimits[i] = route.rateLimit() == null ? siteRateLimit : own.get(i);
            cors[i] = route.cors() == null ? siteCors : CorsPolicy.of(route.cors());
        }
        return new RoutePolicies(siteAccess, access, siteRateLimit, rateLimits, siteCors, cors);
    }

    /** The access policy of {@code route}, or the site's for null (no route matched). */
    public AccessPolicy access(CompiledRoute route) {
        return route == null ? siteAccess : access[route.order()];
    }

    /** The limiter of {@code route}, or the site's for null; null when unlimited. */
    public RateLimiter rateLimit(CompiledRoute route) {
        return route == null ? siteRateLimit : rateLimits[route.order()];
    }

    /** The CORS policy of {@code route}, or the site's for null; null when none. */
    public CorsPolicy cors(CompiledRoute route) {
        return route == null ? siteCors : cors[route.order()];
    }

    /** Whether some request may be refused by access control; else admission leaves the stage out. */
    public boolean anyAccess() {
        return !siteAccess.equals(AccessPolicy.OPEN) || anyOf(access, a -> !a.equals(AccessPolicy.OPEN));
    }

    public boolean anyRateLimit() {
        return siteRateLimit != null || anyOf(rateLimits, Objects::nonNull);
    }

    public boolean anyCors() {
        return siteCors != null || anyOf(cors, Objects::nonNull);
    }

    private static <T> boolean anyOf(T[] values, java.util.function.Predicate<T> test) {
        for (T value : values) {
            if (test.test(value)) {
                return true;
            }
        }
        return false;
    }
}
