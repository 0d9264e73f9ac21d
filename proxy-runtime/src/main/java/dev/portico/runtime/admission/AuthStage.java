package dev.portico.runtime.admission;

import dev.portico.runtime.auth.BasicAuthPolicy;
import dev.portico.runtime.auth.ForwardAuthPolicy;
import dev.portico.runtime.auth.RouteAuth;
import dev.portico.runtime.routing.CompiledRoute;
import io.netty.handler.codec.http.HttpHeaderNames;
import java.util.List;

/**
 * {@code auth} of the matched route (its own, else the site's). Runs after routing, since a route may opt out or
 * bring its own, and after the rate limit, so guesses cost tokens first. It only decides: forward auth suspends
 * admission with {@link Decision.Authorize} (the exchange asks the auth service, then resumes admission after this
 * stage), basic auth lets recently verified credentials through, challenges a request without any, and hands new
 * ones to {@link Decision.VerifyPassword} (bcrypt, off the event loop).
 */
final class AuthStage implements AdmissionStage {

    /** By {@link CompiledRoute#order()}: null for a route without auth. */
    private final RouteAuth[] byRoute;
    private final Decision[] prebuilt;

    /** @param auth by route order, null entries for routes without auth */
    AuthStage(List<CompiledRoute> routes, List<RouteAuth> auth) {
        byRoute = new RouteAuth[routes.size()];
        prebuilt = new Decision[routes.size()];
        for (CompiledRoute route : routes) {
            RouteAuth policy = auth.get(route.order());
            byRoute[route.order()] = policy;
            if (policy instanceof ForwardAuthPolicy forward) {
                prebuilt[route.order()] = new Decision.Authorize(forward);
            } else if (policy instanceof BasicAuthPolicy basic) {
                prebuilt[route.order()] = new Decision.Unauthorized(basic.challenge(), route.responseHeaders(), false);
            }
        }
    }

    /** Whether any route requires auth; without, the stage is left out of the pipeline. */
    static boolean anyOf(List<RouteAuth> auth) {
        return auth.stream().anyMatch(a -> a != null);
    }

    @Override
    public Decision decide(AdmissionRequest request) {
        int order = request.route().order();
        RouteAuth policy = byRoute[order];
        if (policy == null) {
            return Decision.CONTINUE;
        }
        if (policy instanceof BasicAuthPolicy basic) {
            BasicAuthPolicy.Check check = basic.check(request.head().headers().get(HttpHeaderNames.AUTHORIZATION));
            if (check == BasicAuthPolicy.Granted.GRANTED) {
                return Decision.CONTINUE;
            }
            if (check instanceof BasicAuthPolicy.Verify verify) {
                return new Decision.VerifyPassword(basic, verify, (Decision.Unauthorized) prebuilt[order]);
            }
            Decision.Unauthorized challenge = (Decision.Unauthorized) prebuilt[order];
            return check == BasicAuthPolicy.Malformed.MALFORMED ? challenge.asFailure() : challenge;
        }
        return prebuilt[order];
    }
}
