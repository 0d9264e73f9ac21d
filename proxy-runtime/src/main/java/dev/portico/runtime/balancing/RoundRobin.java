package dev.portico.runtime.balancing;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/** Each endpoint in turn; the first turn random, so pods restarting together do not all start at the first endpoint. */
public final class RoundRobin implements BalancingPolicy {

    private final AtomicInteger next = new AtomicInteger(ThreadLocalRandom.current().nextInt(1 << 16));

    @Override
    public Endpoint pick(List<Endpoint> candidates, PickRequest request) {
        return candidates.get(Math.floorMod(next.getAndIncrement(), candidates.size()));
    }

    /**
     * A retry takes no turn: if it did, the turn after a failing endpoint's would always go to the
     * retry, and that endpoint would get every other request's first try (all of them, with two).
     */
    @Override
    public Endpoint pickAgain(List<Endpoint> candidates, PickRequest request) {
        return candidates.get(ThreadLocalRandom.current().nextInt(candidates.size()));
    }
}
