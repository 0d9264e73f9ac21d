package dev.portico.runtime.balancing;

import java.util.List;

/**
 * Rendezvous (highest random weight) hashing: a key goes to the endpoint scoring highest for
 * it. Removing one of N endpoints moves only the keys that were on it (1/N of them), and
 * excluding an ejected or tried endpoint sends its keys to their second choice, spread over
 * the others rather than piled on a ring neighbour. O(N) per pick, fine for a Service's pods.
 */
final class Rendezvous {

    private Rendezvous() {}

    static Endpoint pick(List<Endpoint> candidates, long keyHash) {
        Endpoint best = null;
        long bestScore = 0;
        for (Endpoint endpoint : candidates) {
            long score = Hashing.mix(keyHash ^ endpoint.hash());
            if (best == null || Long.compareUnsigned(score, bestScore) > 0) {
                best = endpoint;
                bestScore = score;
            }
        }
        return best;
    }
}
