package dev.portico.runtime.retry;

import dev.portico.crds.units.Durations;
import dev.portico.crds.units.Sizes;
import dev.portico.crds.v1alpha1.Retries;
import io.netty.handler.codec.http.HttpMethod;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;

/**
 * A route's {@code retries}, compiled, and the decision whether a failed try is tried again:
 * a pure function of the policy and what happened, so it is tested without sockets.
 *
 * @param attempts        tries in all, the first included
 * @param perTryTimeout   to each try's response head, or null: the route's response timeout
 * @param maxBufferedBody the largest request body held for a replay
 */
public record RetryPolicy(int attempts, Set<RetryOn> on, Duration perTryTimeout, long maxBufferedBody,
                          int budgetPercent, int budgetMinConcurrent) {

    /** A route without {@code retries}: tried once (connect-level retries aside, which are always on). */
    public static final RetryPolicy NONE = new RetryPolicy(1, Set.of(), null, 0, 0, 0);

    /** At most this many tries when connecting fails, whatever the route: the request never left. */
    public static final int MAX_CONNECT_TRIES = 3;

    public RetryPolicy {
        on = on.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(on));
    }

    /** @param retries normalised ({@code ProxySiteDefaults}), or null */
    public static RetryPolicy of(Retries retries) {
        if (retries == null) {
            return NONE;
        }
        EnumSet<RetryOn> on = EnumSet.noneOf(RetryOn.class);
        retries.retryOn().forEach(word -> on.add(RetryOn.of(word)));
        var budget = retries.budget();
        return new RetryPolicy(retries.attempts(), on,
                retries.perTryTimeout() == null ? null : Durations.parse(retries.perTryTimeout()),
                Sizes.parse(retries.maxBufferedBody()), budget.percent(), budget.minConcurrent());
    }

    /** RFC 9110 9.2.2: the methods whose repetition means the same as one request. */
    public static boolean idempotent(HttpMethod method) {
        return method.equals(HttpMethod.GET) || method.equals(HttpMethod.HEAD) || method.equals(HttpMethod.OPTIONS)
                || method.equals(HttpMethod.PUT) || method.equals(HttpMethod.DELETE) || method.equals(HttpMethod.TRACE);
    }

    /** The time a try gets to its response head. */
    public Duration tryTimeout(Duration responseTimeout) {
        return perTryTimeout == null ? responseTimeout : perTryTimeout;
    }

    /**
     * Whether a try that failed with {@code cause} is tried again (budget aside).
     *
     * @param tries      tries made so far, the failed one included
     * @param idempotent the request's method may be repeated
     * @param replayable the whole request (head and body) is held and can be sent again
     */
    public boolean retries(RetryOn cause, int tries, boolean idempotent, boolean replayable) {
        if (tries >= attempts || !on.contains(cause)) {
            return false;
        }
        // A try that never connected sent nothing: any method may go again; else the request must be safe to
        // repeat and still in hand.
        return cause == RetryOn.CONNECT_FAILURE || (idempotent && replayable);
    }
}
