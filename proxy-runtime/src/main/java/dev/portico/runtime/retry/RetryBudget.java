package dev.portico.runtime.retry;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Envoy's retry budget: retries in progress at most {@code percent} of the requests in
 * progress to a backend, but always {@code minConcurrent}. When a backend fails as a whole,
 * every request wants a retry, and the budget holds the extra load to that share instead of
 * multiplying it by the attempts. Shared by all event loops.
 */
public final class RetryBudget {

    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicInteger retries = new AtomicInteger();

    public void requestStarted() {
        requests.incrementAndGet();
    }

    public void requestEnded() {
        requests.decrementAndGet();
    }

    /** Takes a retry slot if the budget allows one; {@link #retryEnded} gives it back. */
    public boolean tryStartRetry(int percent, int minConcurrent) {
        for (int current = retries.get(); ; current = retries.get()) {
            if (current >= allowed(requests.get(), percent, minConcurrent)) {
                return false;
            }
            if (retries.compareAndSet(current, current + 1)) {
                return true;
            }
        }
    }

    public void retryEnded() {
        retries.decrementAndGet();
    }

    public int retriesInFlight() {
        return retries.get();
    }

    static int allowed(int requests, int percent, int minConcurrent) {
        return Math.max(minConcurrent, (int) ((long) requests * percent / 100));
    }
}
