package dev.portico.runtime.admission;

import dev.portico.runtime.auth.BasicAuthPolicy;
import dev.portico.runtime.auth.ForwardAuthPolicy;
import dev.portico.runtime.headers.HeaderRules;
import dev.portico.runtime.policy.CorsPolicy;
import dev.portico.runtime.routing.CompiledRoute;
import dev.portico.runtime.routing.RouteAction;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * What an {@link AdmissionStage} decides about a request: let the next stage decide ({@link #CONTINUE}), or one
 * outcome that ends admission. The exchange turns an outcome into a response or an upstream request; stages never
 * write to a channel, so each one is a function that a test calls without sockets.
 *
 * <p>Outcomes that do not depend on the request are built once per compiled config (the route's Respond, Redirect
 * and Forward, the rejections), so admitting a request allocates nothing.
 */
public sealed interface Decision {

    /** Not decided here: the next stage decides. */
    Decision CONTINUE = Continue.CONTINUE;

    enum Continue implements Decision { CONTINUE }

    /**
     * An error the proxy answers itself ({@code 400 Bad Request}, {@code 403}, {@code 404}, ...) with the site's
     * response headers. Nothing of the request body has been read, so the connection closes after it.
     */
    record Reject(HttpResponseStatus status) implements Decision {

        static final Reject BAD_REQUEST = new Reject(HttpResponseStatus.BAD_REQUEST);
        static final Reject FORBIDDEN = new Reject(HttpResponseStatus.FORBIDDEN);
        static final Reject NOT_FOUND = new Reject(HttpResponseStatus.NOT_FOUND);
        static final Reject URI_TOO_LONG = new Reject(HttpResponseStatus.REQUEST_URI_TOO_LONG);
        static final Reject HEADERS_TOO_LARGE = new Reject(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE);
    }

    /**
     * A cap on requests or upstream connections is reached ({@code reason} is the label of
     * {@code portico_requests_refused_total}): 503 with Retry-After over HTTP/1.1, REFUSED_STREAM over HTTP/2.
     */
    record Refuse(String reason) implements Decision {}

    /**
     * A plain-text response made here: a {@code respond} route, or a policy's answer such as 429.
     *
     * @param headers           the response header rules (the route's, or the site's before routing)
     * @param retryAfterSeconds the Retry-After value, or 0 for none
     */
    record Respond(HttpResponseStatus status, String body, HeaderRules headers, long retryAfterSeconds)
            implements Decision {}

    /**
     * A redirect made here: {@code tls.httpRedirect}, or a {@code redirect} route.
     *
     * @param location builds the Location from the request (it keeps the path, query, and perhaps host and port)
     */
    record Redirect(int status, Location location, HeaderRules headers) implements Decision {}

    /**
     * The proxy's answer to a CORS preflight: 204 with the route's response header rules, its Access-Control-Allow-*
     * headers filled in by {@code cors} from the request. One per route, built once.
     */
    record Preflight(CorsPolicy cors, HeaderRules headers) implements Decision {}

    /** How a redirect's Location follows from the request. */
    @FunctionalInterface
    interface Location {
        String of(RequestTarget target, boolean tls);
    }

    /**
     * The request goes to {@code action}'s backend. Upstream request edits (header rules, the path rewrite) are the
     * route's; a stage that needs more (an auth subrequest's identity headers) would carry them here.
     */
    record Forward(CompiledRoute route, RouteAction.Forward action) implements Decision {}

    /**
     * Admission suspends: the exchange asks {@code policy}'s auth service about the request (its head only), then
     * either resumes admission after the auth stage ({@link AdmissionPipeline#resume}) with the service's chosen
     * headers for upstream, or answers with the service's response, or 503 when the service cannot answer.
     */
    record Authorize(ForwardAuthPolicy policy) implements Decision {}

    /**
     * Admission suspends: basic-auth credentials not verified recently go to bcrypt off the event loop; granted,
     * admission resumes after the auth stage ({@link AdmissionPipeline#resume}), else {@code refusal} answers.
     */
    record VerifyPassword(BasicAuthPolicy policy, BasicAuthPolicy.Verify credentials, Unauthorized refusal)
            implements Decision {}

    /**
     * 401 with the basic-auth challenge ({@code WWW-Authenticate}).
     *
     * @param failedAttempt credentials were sent and are wrong (counted), rather than none sent
     */
    record Unauthorized(String challenge, HeaderRules headers, boolean failedAttempt) implements Decision {

        public Unauthorized asFailure() {
            return failedAttempt ? this : new Unauthorized(challenge, headers, true);
        }
    }
}
