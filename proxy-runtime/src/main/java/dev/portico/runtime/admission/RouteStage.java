package dev.portico.runtime.admission;

import dev.portico.runtime.routing.RouteResult;
import dev.portico.runtime.routing.Router;

/**
 * Routing: 404 when no route matches; else the route is set for the stages after this one (per-route policies would
 * run there) and for {@link RouteActionStage}.
 */
final class RouteStage implements AdmissionStage {

    private final Router router;

    RouteStage(Router router) {
        this.router = router;
    }

    @Override
    public Decision decide(AdmissionRequest request) {
        RouteResult result = router.route(request.host(), request.target().path(), request);
        if (!(result instanceof RouteResult.Matched matched)) {
            return Decision.Reject.NOT_FOUND;
        }
        request.route(matched.route());
        return Decision.CONTINUE;
    }
}
