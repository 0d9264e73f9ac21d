package dev.portico.runtime.admission;

import dev.portico.runtime.forwarding.TrustPolicy;
import java.net.InetAddress;

/**
 * limits.maxRequestsInFlightPerClient, counted per peer like maxConnectionsPerClient (the TCP peer or the address a
 * PROXY protocol header carried; a client chooses its X-Forwarded-For, not its address), before anything else so
 * that every request counts, answered locally or not. Trusted proxies carry everyone's requests and are not
 * counted. The exchange gives the count back ({@link AdmissionRequest#counted}) when it finishes.
 */
final class InFlightStage implements AdmissionStage {

    static final Decision.Refuse REFUSED = new Decision.Refuse("max_requests_in_flight_per_client");

    private final TrustPolicy trust;
    private final int maxPerClient;

    InFlightStage(TrustPolicy trust, int maxPerClient) {
        this.trust = trust;
        this.maxPerClient = maxPerClient;
    }

    @Override
    public Decision decide(AdmissionRequest request) {
        InetAddress peer = request.peer();
        if (trust.trustsPeer(peer)) {
            return Decision.CONTINUE;
        }
        if (!request.inFlight().tryAcquire(peer, maxPerClient)) {
            return REFUSED;
        }
        request.counted(peer);
        return Decision.CONTINUE;
    }
}
