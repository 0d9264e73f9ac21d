package dev.portico.runtime.admission;

import dev.portico.runtime.headers.HeaderRules;
import dev.portico.runtime.policy.RateLimiter;
import dev.portico.runtime.policy.RoutePolicies;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * {@code rateLimit}: a token per request from the client's bucket of the limit in force (the route's own buckets
 * when it sets a rateLimit, else the site's), or 429 with Retry-After. The connection stays open (unless a body is
 * left unread): a client told to come back may do so on it.
 */
final class RateLimitStage implements AdmissionStage {

    private static final HttpResponseStatus STATUS = HttpResponseStatus.TOO_MANY_REQUESTS;
    private static final String BODY = STATUS.code() + " " + STATUS.reasonPhrase() + "\n";

    private final RoutePolicies policies;
    private final HeaderRules siteHeaders;

    RateLimitStage(RoutePolicies policies, HeaderRules siteHeaders) {
        this.policies = policies;
        this.siteHeaders = siteHeaders;
    }

    @Override
    public Decision decide(AdmissionRequest request) {
        RateLimiter limiter = policies.rateLimit(request.route());
        if (limiter == null) {
            return Decision.CONTINUE;
        }
        long retryAfter = limiter.acquire(request.client());
        return retryAfter > 0 ? new Decision.Respond(STATUS, BODY, siteHeaders, retryAfter) : Decision.CONTINUE;
    }
}
