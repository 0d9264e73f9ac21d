package dev.portico.runtime.balancing;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Power of two choices: the endpoint with fewer requests in progress of two picked at random.
 * Nearly as good as the least busy of all, without a scan, and without the herd that always
 * picking the global minimum sends to one endpoint (Mitzenmacher; Envoy's LEAST_REQUEST).
 */
public final class LeastRequest implements BalancingPolicy {

    @Override
    public Endpoint pick(List<Endpoint> candidates, PickRequest request) {
        int n = candidates.size();
        if (n == 1) {
            return candidates.get(0);
        }
        ThreadLocalRandom random = ThreadLocalRandom.current();
        int first = random.nextInt(n);
        int second = random.nextInt(n - 1);
        if (second >= first) {
            second++;
        }
        Endpoint a = candidates.get(first);
        Endpoint b = candidates.get(second);
        return b.active() < a.active() ? b : a;
    }
}
