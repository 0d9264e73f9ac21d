package dev.portico.operator.reconciler;

import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.AggregatedOperatorException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Set;

/**
 * Why a reconcile failed, in words a cluster admin can act on: the API server's refusal
 * (which names the verb, the resource and the namespace) when there is one, found through
 * JOSDK's wrapping (a workflow aggregates its dependents' exceptions), else the exception's
 * own message. Pure, so the wording is tested without a cluster.
 *
 * @param reason a CamelCase condition reason: Forbidden (403: the operator's RBAC lacks a rule),
 *     NamespaceTerminating (403 too, but the site's namespace is being deleted: nothing to
 *     report, the site goes with it), ApiServerError (another refusal of the API server),
 *     ReconcileError (anything else)
 */
record ReconcileFailure(String reason, String message) {

    static final String NAMESPACE_TERMINATING = "NamespaceTerminating";

    /** Whether the failure is worth a status and an Event: not while the namespace is going away. */
    boolean reportable() {
        return !NAMESPACE_TERMINATING.equals(reason);
    }

    static ReconcileFailure of(Exception failure) {
        KubernetesClientException refusal = findRefusal(failure);
        if (refusal == null) {
            return new ReconcileFailure("ReconcileError", describe(failure));
        }
        String said = refusal.getStatus() != null && refusal.getStatus().getMessage() != null
                ? refusal.getStatus().getMessage() : describe(refusal);
        if (refusal.getCode() == 403 && terminating(refusal)) {
            return new ReconcileFailure(NAMESPACE_TERMINATING, "the namespace is being deleted: " + said);
        }
        if (refusal.getCode() == 403) {
            return new ReconcileFailure("Forbidden", "the operator's ServiceAccount lacks a permission (see its "
                    + "ClusterRole, deploy/operator/rbac.yaml): " + said);
        }
        return new ReconcileFailure("ApiServerError", "the API server refused a call (" + refusal.getCode() + "): " + said);
    }

    /** The API server's 403 for a write into a namespace that is being deleted (cause NamespaceTerminating). */
    private static boolean terminating(KubernetesClientException refusal) {
        var status = refusal.getStatus();
        return status != null && status.getDetails() != null && status.getDetails().getCauses() != null
                && status.getDetails().getCauses().stream().anyMatch(c -> NAMESPACE_TERMINATING.equals(c.getReason()));
    }

    /** The first KubernetesClientException with an HTTP status in the cause chains of {@code failure}. */
    private static KubernetesClientException findRefusal(Throwable failure) {
        Deque<Throwable> pending = new ArrayDeque<>();
        Set<Throwable> seen = new HashSet<>();
        pending.add(failure);
        while (!pending.isEmpty()) {
            Throwable next = pending.poll();
            if (next == null || !seen.add(next)) {
                continue;
            }
            if (next instanceof KubernetesClientException k && k.getCode() > 0) {
                return k;
            }
            if (next instanceof AggregatedOperatorException aggregated) {
                pending.addAll(aggregated.getAggregatedExceptions().values());
            }
            if (next.getCause() != null) {
                pending.add(next.getCause());
            }
        }
        return null;
    }

    private static String describe(Throwable failure) {
        String message = failure.getMessage();
        return message == null || message.isBlank() ? failure.getClass().getSimpleName() : message;
    }
}
