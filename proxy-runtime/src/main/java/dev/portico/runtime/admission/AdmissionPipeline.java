package dev.portico.runtime.admission;

import dev.portico.runtime.auth.RouteAuth;
import dev.portico.runtime.forwarding.TrustPolicy;
import dev.portico.runtime.headers.HeaderRules;
import dev.portico.runtime.policy.ResponsePolicy;
import dev.portico.runtime.policy.RoutePolicies;
import dev.portico.runtime.routing.CompiledRoute;
import dev.portico.runtime.routing.PathNormaliser;
import dev.portico.runtime.routing.Router;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Admission: the ordered stages that decide what becomes of a request before anything of it goes upstream, compiled
 * once per site config. {@link #compile} is the one place that shows the order; the exchange runs the stages and
 * acts on the outcome, and knows none of them.
 *
 * <p>A new policy is a new stage in the list: one that needs only the client before routing, one that may differ
 * per route (access control, the rate limit, CORS) between {@link RouteStage} and {@link RouteActionStage}. Routing
 * comes before those, so that a route's own policy replaces the site's; a request no route takes is judged by the
 * site's policies, then gets 404. Every check of a malformed request comes before all of them.
 */
public final class AdmissionPipeline {

    private final AdmissionStage[] stages;
    /** The per-route policies, for the response side; null in pipelines built directly by tests. */
    private final RoutePolicies policies;

    AdmissionPipeline(List<AdmissionStage> stages) {
        this(stages, null);
    }

    private AdmissionPipeline(List<AdmissionStage> stages, RoutePolicies policies) {
        this.policies = policies;
        this.stages = stages.toArray(AdmissionStage[]::new);
        if (this.stages.length == 0) {
            throw new IllegalArgumentException("admission needs a deciding stage");
        }
    }

    /**
     * The site's stages, in order. Policies the site does not use are left out rather than asked.
     *
     * @param maxInFlightPerClient limits.maxRequestsInFlightPerClient
     * @param policies             accessControl, rateLimit and cors in force for each route, and for no route
     * @param httpsRedirect        tls.httpRedirect of a site with TLS
     * @param siteHeaders          response header rules of answers made before a route is known
     */
    public static AdmissionPipeline compile(TrustPolicy trust, int maxInFlightPerClient, PathNormaliser paths,
                                            RoutePolicies policies, boolean httpsRedirect,
                                            Router router, List<CompiledRoute> routes, HeaderRules siteHeaders) {
        return compile(trust, maxInFlightPerClient, paths, policies, httpsRedirect, router, routes, siteHeaders,
                List.of(), Map.of());
    }

    /**
     * @param auth        each route's auth by route order (null entries: none), or empty when no route has any
     * @param acmeAnswers token to key authorization of the operator's pending ACME HTTP-01 challenges
     */
    public static AdmissionPipeline compile(TrustPolicy trust, int maxInFlightPerClient, PathNormaliser paths,
                                            RoutePolicies policies, boolean httpsRedirect,
                                            Router router, List<CompiledRoute> routes, HeaderRules siteHeaders,
                                            List<RouteAuth> auth, Map<String, String> acmeAnswers) {
        List<AdmissionStage> stages = new ArrayList<>();
        stages.add(new InFlightStage(trust, maxInFlightPerClient)); // first: every request counts, answered or not
        stages.add(MalformedHeadStage.INSTANCE);
        stages.add(FramingStage.INSTANCE);
        stages.add(new TargetStage(paths));
        stages.add(new ClientStage(trust));
        if (!acmeAnswers.isEmpty()) {
            stages.add(new AcmeChallengeStage(acmeAnswers, router, siteHeaders)); // the CA is no client of the site
        }
        stages.add(new RouteStage(router)); // before the policies: a route's own replace the site's
        if (policies.anyAccess()) {
            stages.add(new AccessStage(policies));
        }
        if (policies.anyRateLimit()) {
            stages.add(new RateLimitStage(policies, siteHeaders));
        }
        if (httpsRedirect) {
            stages.add(new HttpsRedirectStage(router, siteHeaders));
        }
        stages.add(NotFoundStage.INSTANCE);
        if (policies.anyCors()) {
            // Before any authentication: browsers send preflights without credentials (Fetch), so a preflight
            // asked to authenticate fails, and with it the request it was about.
            stages.add(new CorsPreflightStage(policies, routes));
        }
        if (AuthStage.anyOf(auth)) {
            // After the preflight (browsers send it without credentials) and last but the action: it may suspend,
            // and the stages after it run on resume.
            stages.add(new AuthStage(routes, auth));
        }
        stages.add(new RouteActionStage(routes));
        return new AdmissionPipeline(stages, policies);
    }

    /**
     * The response-side policy for {@code request} once admitted (its route's CORS, or the site's for a request no
     * route took), or null when there is none: the exchange then does nothing more on the response side. Requests
     * refused before their target was read (malformed heads, the in-flight cap) get none, as before.
     */
    public ResponsePolicy responsePolicy(AdmissionRequest request) {
        if (policies == null || request.target() == null) {
            return null;
        }
        return policies.cors(request.route());
    }

    /** The outcome of {@code request}: the first stage's that is not {@link Decision#CONTINUE}. */
    public Decision decide(AdmissionRequest request) {
        return decideFrom(request, 0);
    }

    /**
     * The outcome once a suspending decision ({@link Decision.Authorize}, {@link Decision.VerifyPassword}) let the
     * request through: the stages after the one that suspended decide.
     */
    public Decision resume(AdmissionRequest request) {
        return decideFrom(request, request.decidedBy() + 1);
    }

    private Decision decideFrom(AdmissionRequest request, int first) {
        for (int i = first; i < stages.length; i++) {
            Decision decision = stages[i].decide(request);
            if (decision != Decision.CONTINUE) {
                request.decidedBy(i);
                return decision;
            }
        }
        throw new IllegalStateException("no admission stage decided");
    }

    /** The stages, in order; for tests and the reader. */
    List<AdmissionStage> stages() {
        return List.of(stages);
    }
}
