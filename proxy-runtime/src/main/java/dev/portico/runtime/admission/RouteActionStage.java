package dev.portico.runtime.admission;

import dev.portico.runtime.routing.CompiledRoute;
import dev.portico.runtime.routing.RouteAction;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.List;

/** The matched route's action as the outcome: respond, redirect or forward, each built once per route. */
final class RouteActionStage implements AdmissionStage {

    /** By {@link CompiledRoute#order()}. */
    private final Decision[] byRoute;

    RouteActionStage(List<CompiledRoute> routes) {
        byRoute = new Decision[routes.size()];
        for (CompiledRoute route : routes) {
            byRoute[route.order()] = of(route);
        }
    }

    private static Decision of(CompiledRoute route) {
        RouteAction action = route.action();
        if (action instanceof RouteAction.Respond respond) {
            return new Decision.Respond(HttpResponseStatus.valueOf(respond.status()), respond.body(),
                    route.responseHeaders(), 0);
        }
        if (action instanceof RouteAction.Redirect redirect) {
            return new Decision.Redirect(redirect.statusCode(),
                    (target, tls) -> Redirects.location(redirect, target, tls), route.responseHeaders());
        }
        return new Decision.Forward(route, (RouteAction.Forward) action);
    }

    @Override
    public Decision decide(AdmissionRequest request) {
        return byRoute[request.route().order()];
    }
}
