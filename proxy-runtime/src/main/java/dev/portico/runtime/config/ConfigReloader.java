package dev.portico.runtime.config;

import dev.portico.crds.InvalidProxySiteException;
import dev.portico.runtime.metrics.ProxyMetrics;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the site file and secrets and swaps in each valid edit. Polling a content hash
 * rather than trusting file events: Kubernetes updates mounted Secrets through symlink
 * swaps that inotify reports unreliably, and an editor's save is several events. An
 * invalid edit is logged once and the last good config keeps serving.
 */
public final class ConfigReloader implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ConfigReloader.class);

    private final SiteSource source;
    private final ConfigHolder holder;
    private final ProxyMetrics metrics;
    private final Consumer<SiteConfig> onApplied;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "portico-config-reloader");
        thread.setDaemon(true);
        return thread;
    });
    private String lastSeenHash;

    /** @param onApplied runs after each swap, on the reloader's thread (e.g. to open the TLS listener) */
    public ConfigReloader(SiteSource source, ConfigHolder holder, ProxyMetrics metrics,
                          Consumer<SiteConfig> onApplied) {
        this.source = source;
        this.holder = holder;
        this.metrics = metrics;
        this.onApplied = onApplied;
        this.lastSeenHash = holder.current().hash();
    }

    public void start(Duration interval) {
        scheduler.scheduleWithFixedDelay(this::check, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** One look at the files; public so tests and the admin port can force a check. */
    public synchronized void check() {
        SiteSource.Snapshot snapshot;
        try {
            snapshot = source.snapshot();
        } catch (IOException e) {
            // A file mid-replacement: the next poll sees the finished one.
            LOG.debug("cannot read {} yet: {}", source.siteFile(), e.toString());
            return;
        }
        if (snapshot.hash().equals(lastSeenHash)) {
            return;
        }
        lastSeenHash = snapshot.hash();
        try {
            SiteConfig next = source.compile(snapshot);
            holder.swap(next);
            metrics.configReloaded(true);
            LOG.info("config applied: generation {} {}", next.generation(), next.hash());
            onApplied.accept(next);
        } catch (InvalidProxySiteException e) {
            metrics.configReloaded(false);
            LOG.error("config rejected, still serving {}:\n{}", holder.current().hash(), e.getMessage());
        } catch (RuntimeException e) {
            metrics.configReloaded(false);
            LOG.error("config rejected, still serving {}: {}", holder.current().hash(), e.toString());
        }
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
    }
}
