package dev.portico.operator.push;

/**
 * How far a bundle has reached a site's pods, as the Programmed condition reports it.
 *
 * @param serving ready pods known to serve {@code hash}
 * @param ready   ready pods
 * @param hash    the bundle being rolled out
 * @param problem the last push failure of a pod that does not serve it yet, or null
 */
public record Rollout(int serving, int ready, String hash, String problem) {

    public boolean complete() {
        return ready > 0 && serving == ready;
    }
}
