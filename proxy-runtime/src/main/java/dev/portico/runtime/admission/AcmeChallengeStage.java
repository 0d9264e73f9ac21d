package dev.portico.runtime.admission;

import dev.portico.runtime.headers.HeaderRules;
import dev.portico.runtime.routing.Router;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.HashMap;
import java.util.Map;

/**
 * ACME HTTP-01 (RFC 8555 section 8.3): {@code GET /.well-known/acme-challenge/TOKEN} for one of the site's hosts is
 * answered here with the key authorization the operator pushed, over plain HTTP and TLS alike, before access control,
 * rate limits and the https redirect: the CA's validation servers are none of the site's clients. A token the
 * operator did not push goes on to routing, so a solver behind the site (cert-manager's) keeps working. Only in the
 * pipeline of a site with pending answers.
 */
final class AcmeChallengeStage implements AdmissionStage {

    static final String PREFIX = HttpsRedirectStage.ACME_CHALLENGES;

    private final Router router;
    /** Token to its answer, each built once per compiled config. */
    private final Map<String, Decision.Respond> answers = new HashMap<>();

    /** @param keyAuthorizations token to key authorization */
    AcmeChallengeStage(Map<String, String> keyAuthorizations, Router router, HeaderRules siteHeaders) {
        this.router = router;
        keyAuthorizations.forEach((token, answer) ->
                answers.put(token, new Decision.Respond(HttpResponseStatus.OK, answer, siteHeaders, 0)));
    }

    @Override
    public Decision decide(AdmissionRequest request) {
        String path = request.target().path();
        if (!path.startsWith(PREFIX) || !(request.head().method().equals(HttpMethod.GET)
                || request.head().method().equals(HttpMethod.HEAD))) {
            return Decision.CONTINUE;
        }
        Decision.Respond answer = answers.get(path.substring(PREFIX.length()));
        return answer != null && router.servesHost(request.host()) ? answer : Decision.CONTINUE;
    }
}
