package dev.portico.runtime.admission;

import dev.portico.runtime.policy.RoutePolicies;

/**
 * {@code accessControl}: 403 for a client the policy in force does not permit: the route's own, else the site's
 * (also for a request no route takes).
 */
final class AccessStage implements AdmissionStage {

    private final RoutePolicies policies;

    AccessStage(RoutePolicies policies) {
        this.policies = policies;
    }

    @Override
    public Decision decide(AdmissionRequest request) {
        return policies.access(request.route()).permits(request.client()) ? Decision.CONTINUE
                : Decision.Reject.FORBIDDEN;
    }
}
