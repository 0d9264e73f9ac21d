package dev.portico.runtime.admission;

import dev.portico.runtime.headers.HeaderRules;
import dev.portico.runtime.policy.RateLimiter;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * {@code rateLimit}: a token per request from the client's bucket, or 429 with Retry-After. The connection stays
 * open (unless a body is left unread): a client told to come back may do so on it.
 */
final class RateLimitStage implements AdmissionStage {

    private static final HttpResponseStatus STATUS = HttpResponseStatus.TOO_MANY_REQUESTS;
    private static final String BODY = STATUS.code() + " " + STATUS.reasonPhrase() + "\n";

    private final RateLimiter limiter;
    private final HeaderRules siteHeaders;

    RateLimitStage(RateLimiter limiter, HeaderRules siteHeaders) {
        this.limiter = limiter;
        this.siteHeaders = siteHeaders;
    }

    @Override
    public Decision decide(AdmissionRequest request) {
        long retryAfter = limiter.acquire(request.client());
        return retryAfter > 0 ? new Decision.Respond(STATUS, BODY, siteHeaders, retryAfter) : Decision.CONTINUE;
    }
}
