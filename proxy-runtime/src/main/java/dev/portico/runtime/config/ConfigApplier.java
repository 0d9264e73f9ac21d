package dev.portico.runtime.config;

import dev.portico.crds.InvalidProxySiteException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that decides whether a bundle replaces the config serving, for both
 * sources (the file reloader and {@code PUT /config}), so they cannot disagree or race:
 * a newer revision that compiles is applied; an older one is refused, so a late push or a
 * lagging kubelet cannot roll a pod back; the same revision is a no-op when it is the same
 * bundle and a conflict when it is not; an invalid one changes nothing. Site files without
 * a revision (the runtime outside a cluster) apply whenever they are valid.
 */
public final class ConfigApplier {

    private static final Logger LOG = LoggerFactory.getLogger(ConfigApplier.class);

    public enum Outcome { APPLIED, UNCHANGED, STALE, CONFLICT, INVALID }

    /**
     * @param serving the config serving once the decision is made (the new one when applied)
     * @param reason  why a bundle was not applied (the validator's messages when invalid), else null
     */
    public record Result(Outcome outcome, SiteConfig serving, String reason) {}

    private final ConfigHolder holder;
    private final SiteBuilder builder;
    private final Consumer<SiteConfig> onApplied;

    /** @param onApplied runs after each swap, on the applying thread (e.g. to open the TLS listener) */
    public ConfigApplier(ConfigHolder holder, SiteBuilder builder, Consumer<SiteConfig> onApplied) {
        this.holder = holder;
        this.builder = builder;
        this.onApplied = onApplied;
    }

    public SiteConfig serving() {
        return holder.current();
    }

    /** Decides, compiles when needed, and swaps; one bundle at a time. Compiling can take a while (TLS). */
    public synchronized Result apply(Bundle bundle) {
        SiteConfig serving = holder.current();
        if (bundle.hasRevision() && serving.revision() != SiteConfig.NO_REVISION) {
            if (bundle.revision() < serving.revision()) {
                return new Result(Outcome.STALE, serving, "revision " + bundle.revision()
                        + " is older than the serving revision " + serving.revision());
            }
            if (bundle.revision() == serving.revision()) {
                return bundle.hash().equals(serving.hash())
                        ? new Result(Outcome.UNCHANGED, serving, null)
                        : new Result(Outcome.CONFLICT, serving, "revision " + bundle.revision()
                                + " is serving with other content (" + serving.hash() + ")");
            }
        } else if (!bundle.hasRevision() && bundle.hash().equals(serving.hash())) {
            return new Result(Outcome.UNCHANGED, serving, null);
        }
        SiteConfig next;
        try {
            next = builder.build(bundle);
        } catch (InvalidProxySiteException e) {
            return new Result(Outcome.INVALID, serving, e.getMessage());
        } catch (RuntimeException e) {
            // Anything the validator did not foresee still must not take down what serves.
            LOG.warn("cannot compile {} from {}", bundle.describe(), bundle.origin(), e);
            return new Result(Outcome.INVALID, serving, "invalid bundle: " + e);
        }
        holder.swap(next);
        LOG.info("config applied from {}: '{}' generation {} {}", bundle.origin(), next.name(), next.generation(),
                bundle.describe());
        onApplied.accept(next);
        return new Result(Outcome.APPLIED, next, null);
    }
}
