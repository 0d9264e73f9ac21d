package dev.portico.runtime.config;

import dev.portico.runtime.metrics.ProxyMetrics;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the site file, secrets and revision file and hands each changed bundle to the
 * {@link ConfigApplier}. Polling a content hash rather than trusting file events:
 * Kubernetes updates mounted Secrets through symlink swaps that inotify reports
 * unreliably, and an editor's save is several events. A bundle the applier refuses is
 * logged once and the last good config keeps serving.
 */
public final class ConfigReloader implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ConfigReloader.class);

    private final SiteSource source;
    private final ConfigApplier applier;
    private final ProxyMetrics metrics;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "portico-config-reloader");
        thread.setDaemon(true);
        return thread;
    });
    /** What the files were at the last look: a bundle is judged once, not on every poll. */
    private String lastSeen;

    /** @param booted the bundle the runtime started from */
    public ConfigReloader(SiteSource source, Bundle booted, ConfigApplier applier, ProxyMetrics metrics) {
        this.source = source;
        this.applier = applier;
        this.metrics = metrics;
        this.lastSeen = booted.describe();
    }

    public void start(Duration interval) {
        scheduler.scheduleWithFixedDelay(this::check, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** One look at the files; public so tests can force a check. */
    public synchronized void check() {
        Bundle bundle;
        try {
            bundle = source.snapshot();
        } catch (IOException e) {
            // A file mid-replacement: the next poll sees the finished one.
            LOG.debug("cannot read {} yet: {}", source.siteFile(), e.toString());
            return;
        } catch (IllegalArgumentException e) {
            if (!e.getMessage().equals(lastSeen)) {
                lastSeen = e.getMessage();
                metrics.configReloaded(false);
                LOG.error("config rejected, still serving {}: {}", applier.serving().hash(), e.getMessage());
            }
            return;
        }
        if (bundle.describe().equals(lastSeen)) {
            return;
        }
        lastSeen = bundle.describe();
        ConfigApplier.Result result = applier.apply(bundle);
        SiteConfig serving = result.serving();
        switch (result.outcome()) {
            case APPLIED -> metrics.configReloaded(true);
            case UNCHANGED -> LOG.debug("files match the config serving: {}", bundle.describe());
            case STALE, CONFLICT -> LOG.info("files ignored, still serving revision {} {}: {}", serving.revision(),
                    serving.hash(), result.reason());
            case INVALID -> {
                metrics.configReloaded(false);
                LOG.error("config rejected, still serving {}:\n{}", serving.hash(), result.reason());
            }
        }
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
    }
}
