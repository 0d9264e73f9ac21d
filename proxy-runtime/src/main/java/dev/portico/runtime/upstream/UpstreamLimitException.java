package dev.portico.runtime.upstream;

import dev.portico.runtime.routing.RouteAction.UpstreamTarget;

/** No connection was opened to a backend: one more would pass {@link UpstreamBudget}'s caps. */
public final class UpstreamLimitException extends Exception {

    private static final long serialVersionUID = 1L;

    private final transient UpstreamBudget.Refusal refusal;

    UpstreamLimitException(UpstreamTarget target, UpstreamBudget.Refusal refusal) {
        // No stack trace: under a flood of refusals it would be most of the cost.
        super("no upstream connection to " + target + ": " + refusal.label(), null, false, false);
        this.refusal = refusal;
    }

    public UpstreamBudget.Refusal refusal() {
        return refusal;
    }
}
