package dev.portico.runtime.admission;

import dev.portico.runtime.headers.HeaderRules;
import dev.portico.runtime.routing.Router;

/**
 * {@code tls.httpRedirect}: plain HTTP for a served host goes to https, except ACME HTTP-01 challenges, which
 * cert-manager must be able to answer over plain HTTP. The path is the normalised one:
 * {@code /.well-known/acme-challenge/../../x} is {@code /x}, and redirected. Only in the pipeline of a site that
 * redirects.
 */
final class HttpsRedirectStage implements AdmissionStage {

    static final String ACME_CHALLENGES = "/.well-known/acme-challenge/";

    private final Router router;
    private final Decision.Redirect redirect;

    HttpsRedirectStage(Router router, HeaderRules siteHeaders) {
        this.router = router;
        this.redirect = new Decision.Redirect(301, (target, tls) -> Redirects.toHttps(target), siteHeaders);
    }

    @Override
    public Decision decide(AdmissionRequest request) {
        if (!request.tls() && !request.target().path().startsWith(ACME_CHALLENGES)
                && router.servesHost(request.host())) {
            return redirect;
        }
        return Decision.CONTINUE;
    }
}
