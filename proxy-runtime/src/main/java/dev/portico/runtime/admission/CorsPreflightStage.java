package dev.portico.runtime.admission;

import dev.portico.runtime.policy.CorsPolicy;
import dev.portico.runtime.policy.RoutePolicies;
import dev.portico.runtime.routing.CompiledRoute;
import java.util.List;

/**
 * {@code cors}: a preflight (OPTIONS with Origin and Access-Control-Request-Method) to a route with CORS is
 * answered here, whatever the route's action; the backend never sees it. Other requests go on to the route's
 * action, and get their CORS headers on the response side ({@link CorsPolicy#apply}).
 */
final class CorsPreflightStage implements AdmissionStage {

    /** By {@link CompiledRoute#order()}; null where the route has no CORS. */
    private final Decision.Preflight[] byRoute;

    CorsPreflightStage(RoutePolicies policies, List<CompiledRoute> routes) {
        byRoute = new Decision.Preflight[routes.size()];
        for (CompiledRoute route : routes) {
            CorsPolicy cors = policies.cors(route);
            byRoute[route.order()] = cors == null ? null : new Decision.Preflight(cors, route.responseHeaders());
        }
    }

    @Override
    public Decision decide(AdmissionRequest request) {
        Decision.Preflight preflight = byRoute[request.route().order()];
        return preflight != null && CorsPolicy.isPreflight(request.head()) ? preflight : Decision.CONTINUE;
    }
}
