package dev.portico.runtime.admission;

import dev.portico.runtime.forwarding.ClientAddressResolver;
import dev.portico.runtime.forwarding.ForwardedHeaders;
import dev.portico.runtime.forwarding.TrustPolicy;

/** The client address: the peer, or what trusted proxies' X-Forwarded-For says. Never decides. */
final class ClientStage implements AdmissionStage {

    private final TrustPolicy trust;

    ClientStage(TrustPolicy trust) {
        this.trust = trust;
    }

    @Override
    public Decision decide(AdmissionRequest request) {
        request.resolution(ClientAddressResolver.resolve(trust, request.peer(),
                request.head().headers().getAll(ForwardedHeaders.X_FORWARDED_FOR)));
        return Decision.CONTINUE;
    }
}
