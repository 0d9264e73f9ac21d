package dev.portico.runtime.admission;

import dev.portico.runtime.routing.HostNames;
import dev.portico.runtime.routing.PathNormaliser;

/** The request target and Host ({@link RequestTarget}), the path normalised once: 400 when malformed or refused. */
final class TargetStage implements AdmissionStage {

    private final PathNormaliser paths;

    TargetStage(PathNormaliser paths) {
        this.paths = paths;
    }

    @Override
    public Decision decide(AdmissionRequest request) {
        RequestTarget target = RequestTarget.parse(request.head(), paths);
        if (target == null) {
            return Decision.Reject.BAD_REQUEST;
        }
        request.target(target, HostNames.normalise(target.authority()));
        return Decision.CONTINUE;
    }
}
