package dev.portico.runtime;

import dev.portico.runtime.admin.AdminLimits;
import java.nio.file.Path;
import java.time.Duration;

/**
 * How the runtime was asked to run (the CLI of API.md). Port 0 binds a free port, which
 * tests use.
 *
 * @param adminTokenFile the bearer token {@code PUT /config} requires, or null: pushes are off
 * @param revisionFile   the mounted bundle's revision, or null: every valid edit of the files applies
 * @param adminLimits    bounds on admin-port clients ({@link AdminLimits#DEFAULT}; tests shorten them)
 * @param adminTlsSecret the secret of the bundle (a folder of {@code secretsDir}, or pushed) whose certificate
 *                       the admin listener serves over TLS, or null: the admin port speaks plain HTTP
 * @param metricsBind    address of the metrics listener
 * @param metricsPort    the plain-HTTP listener that serves {@code GET /metrics} only, apart from the admin port
 *                       (for a scraper, which then needs neither the admin certificate nor a way to the port that
 *                       takes pushes), or {@link #METRICS_OFF}
 */
public record RuntimeOptions(
        Path siteFile,
        Path secretsDir,
        String bind,
        int httpPort,
        int httpsPort,
        String adminBind,
        int adminPort,
        int workers,
        Duration drainTimeout,
        Duration reloadInterval,
        Path adminTokenFile,
        Path revisionFile,
        AdminLimits adminLimits,
        String adminTlsSecret,
        String metricsBind,
        int metricsPort) {

    public static final int DEFAULT_HTTP_PORT = 8080;
    public static final int DEFAULT_HTTPS_PORT = 8443;
    public static final int DEFAULT_ADMIN_PORT = 9901;
    /** No metrics listener: {@code /metrics} is served on the admin port only. */
    public static final int METRICS_OFF = -1;
    public static final Duration DEFAULT_DRAIN = Duration.ofSeconds(25);
    public static final Duration DEFAULT_RELOAD_INTERVAL = Duration.ofMillis(500);

    /**
     * The options a command line asks for, as {@code proxy-runtime --site FILE ...} would run
     * with them: for embedders that start the runtime from the arguments of a pod spec.
     *
     * @throws IllegalArgumentException naming the flag that is wrong, or when the arguments
     *     do not ask to run a site
     */
    public static RuntimeOptions fromArgs(java.util.List<String> args) {
        CommandLine line = CommandLine.parse(args);
        if (line.command() != CommandLine.Command.RUN) {
            throw new IllegalArgumentException("not a run command line: " + String.join(" ", args));
        }
        return line.options();
    }

    /** Without a metrics listener of its own. */
    public RuntimeOptions(Path siteFile, Path secretsDir, String bind, int httpPort, int httpsPort, String adminBind,
                          int adminPort, int workers, Duration drainTimeout, Duration reloadInterval,
                          Path adminTokenFile, Path revisionFile, AdminLimits adminLimits, String adminTlsSecret) {
        this(siteFile, secretsDir, bind, httpPort, httpsPort, adminBind, adminPort, workers, drainTimeout,
                reloadInterval, adminTokenFile, revisionFile, adminLimits, adminTlsSecret, adminBind, METRICS_OFF);
    }

    /** With a plain-HTTP admin port. */
    public RuntimeOptions(Path siteFile, Path secretsDir, String bind, int httpPort, int httpsPort, String adminBind,
                          int adminPort, int workers, Duration drainTimeout, Duration reloadInterval,
                          Path adminTokenFile, Path revisionFile, AdminLimits adminLimits) {
        this(siteFile, secretsDir, bind, httpPort, httpsPort, adminBind, adminPort, workers, drainTimeout,
                reloadInterval, adminTokenFile, revisionFile, adminLimits, null);
    }

    /** With the default admin limits. */
    public RuntimeOptions(Path siteFile, Path secretsDir, String bind, int httpPort, int httpsPort, String adminBind,
                          int adminPort, int workers, Duration drainTimeout, Duration reloadInterval,
                          Path adminTokenFile, Path revisionFile) {
        this(siteFile, secretsDir, bind, httpPort, httpsPort, adminBind, adminPort, workers, drainTimeout,
                reloadInterval, adminTokenFile, revisionFile, AdminLimits.DEFAULT);
    }

    /** Without config push and revision file: the runtime outside a cluster. */
    public RuntimeOptions(Path siteFile, Path secretsDir, String bind, int httpPort, int httpsPort, String adminBind,
                          int adminPort, int workers, Duration drainTimeout, Duration reloadInterval) {
        this(siteFile, secretsDir, bind, httpPort, httpsPort, adminBind, adminPort, workers, drainTimeout,
                reloadInterval, null, null);
    }

    /** The same options with pushes taking {@code adminTokenFile} and the files ordered by {@code revisionFile}. */
    public RuntimeOptions withConfigPush(Path adminTokenFile, Path revisionFile) {
        return new RuntimeOptions(siteFile, secretsDir, bind, httpPort, httpsPort, adminBind, adminPort, workers,
                drainTimeout, reloadInterval, adminTokenFile, revisionFile, adminLimits, adminTlsSecret,
                metricsBind, metricsPort);
    }

    /** The same options with other bounds on admin-port clients. */
    public RuntimeOptions withAdminLimits(AdminLimits limits) {
        return new RuntimeOptions(siteFile, secretsDir, bind, httpPort, httpsPort, adminBind, adminPort, workers,
                drainTimeout, reloadInterval, adminTokenFile, revisionFile, limits, adminTlsSecret,
                metricsBind, metricsPort);
    }

    /** The same options with the admin listener speaking TLS with the bundle's secret {@code secretName}. */
    public RuntimeOptions withAdminTls(String secretName) {
        return new RuntimeOptions(siteFile, secretsDir, bind, httpPort, httpsPort, adminBind, adminPort, workers,
                drainTimeout, reloadInterval, adminTokenFile, revisionFile, adminLimits, secretName,
                metricsBind, metricsPort);
    }

    /** The same options with a metrics listener on {@code port} of {@code bind} (0: a free port). */
    public RuntimeOptions withMetrics(String bind, int port) {
        return new RuntimeOptions(siteFile, secretsDir, this.bind, httpPort, httpsPort, adminBind, adminPort, workers,
                drainTimeout, reloadInterval, adminTokenFile, revisionFile, adminLimits, adminTlsSecret, bind, port);
    }

    /** Defaults for everything but the site file; the secrets live beside it. */
    public static RuntimeOptions forSite(Path siteFile) {
        Path parent = siteFile.toAbsolutePath().getParent();
        return new RuntimeOptions(siteFile, parent.resolve("secrets"), "0.0.0.0", DEFAULT_HTTP_PORT,
                DEFAULT_HTTPS_PORT, "127.0.0.1", DEFAULT_ADMIN_PORT, Runtime.getRuntime().availableProcessors(),
                DEFAULT_DRAIN, DEFAULT_RELOAD_INTERVAL);
    }
}
