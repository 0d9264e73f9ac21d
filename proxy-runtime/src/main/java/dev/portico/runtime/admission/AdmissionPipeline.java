package dev.portico.runtime.admission;

import dev.portico.runtime.forwarding.TrustPolicy;
import dev.portico.runtime.headers.HeaderRules;
import dev.portico.runtime.policy.AccessPolicy;
import dev.portico.runtime.policy.RateLimiter;
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
 * <p>A new policy is a new stage in the list: one that needs only the client (basic auth, a rate limit) before
 * routing, one that needs the route (per-route access control, CORS) between {@link RouteStage} and
 * {@link RouteActionStage}.
 */
public final class AdmissionPipeline {

    private final AdmissionStage[] stages;

    AdmissionPipeline(List<AdmissionStage> stages) {
        this.stages = stages.toArray(AdmissionStage[]::new);
        if (this.stages.length == 0) {
            throw new IllegalArgumentException("admission needs a deciding stage");
        }
    }

    /**
     * The site's stages, in order. Policies the site does not use are left out rather than asked.
     *
     * @param maxInFlightPerClient limits.maxRequestsInFlightPerClient
     * @param rateLimit            per-client token buckets, or null when unlimited
     * @param httpsRedirect        tls.httpRedirect of a site with TLS
     * @param siteHeaders          response header rules of answers made before a route is known
     * @param acmeAnswers          token to key authorization of the operator's pending ACME HTTP-01 challenges
     */
    public static AdmissionPipeline compile(TrustPolicy trust, int maxInFlightPerClient, PathNormaliser paths,
                                            AccessPolicy access, RateLimiter rateLimit, boolean httpsRedirect,
                                            Router router, List<CompiledRoute> routes, HeaderRules siteHeaders,
                                            Map<String, String> acmeAnswers) {
        List<AdmissionStage> stages = new ArrayList<>();
        stages.add(new InFlightStage(trust, maxInFlightPerClient)); // first: every request counts, answered or not
        stages.add(MalformedHeadStage.INSTANCE);
        stages.add(FramingStage.INSTANCE);
        stages.add(new TargetStage(paths));
        stages.add(new ClientStage(trust));
        if (!acmeAnswers.isEmpty()) {
            stages.add(new AcmeChallengeStage(acmeAnswers, router, siteHeaders)); // the CA is no client of the site
        }
        if (!access.equals(AccessPolicy.OPEN)) {
            stages.add(new AccessStage(access));
        }
        if (rateLimit != null) {
            stages.add(new RateLimitStage(rateLimit, siteHeaders));
        }
        if (httpsRedirect) {
            stages.add(new HttpsRedirectStage(router, siteHeaders));
        }
        stages.add(new RouteStage(router));
        stages.add(new RouteActionStage(routes));
        return new AdmissionPipeline(stages);
    }

    /** The outcome of {@code request}: the first stage's that is not {@link Decision#CONTINUE}. */
    public Decision decide(AdmissionRequest request) {
        for (AdmissionStage stage : stages) {
            Decision decision = stage.decide(request);
            if (decision != Decision.CONTINUE) {
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
