package dev.portico.runtime.admission;

import dev.portico.runtime.policy.AccessPolicy;

/** {@code accessControl}: 403 for a client the policy does not permit. */
final class AccessStage implements AdmissionStage {

    private final AccessPolicy access;

    AccessStage(AccessPolicy access) {
        this.access = access;
    }

    @Override
    public Decision decide(AdmissionRequest request) {
        return access.permits(request.client()) ? Decision.CONTINUE : Decision.Reject.FORBIDDEN;
    }
}
