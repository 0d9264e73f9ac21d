package dev.portico.runtime.admission;

import dev.portico.runtime.routing.RouteResult;
import dev.portico.runtime.routing.Router;

/**
 * Routing: the matched route is set for the stages after this one, which judge it by its own policies or the
 * site's. Never decides: a request no route takes still meets the site's policies, then {@link NotFoundStage}.
 */
final class RouteStage implements AdmissionStage {

    private final Router router;

    RouteStage(Router router) {
        this.router = router;
    }

    @Override
    public Decision decide(AdmissionRequest request) {
        if (router.route(request.host(), request.target().path(), request) instanceof RouteResult.Matched matched) {
            request.route(matched.route());
        }
        return Decision.CONTINUE;
    }
}
