package dev.portico.runtime;

import dev.portico.crds.units.Durations;
import dev.portico.runtime.admin.AdminLimits;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The command line of API.md: {@code --site FILE [options]} to run, or
 * {@code validate FILE}. Hand-written because it is a dozen flags and the error messages
 * matter more than the parsing.
 */
record CommandLine(Command command, RuntimeOptions options, Path validateFile) {

    enum Command { RUN, VALIDATE, HELP }

    static final String USAGE = """
            usage: proxy-runtime --site FILE [options]
                   proxy-runtime validate FILE

              --site FILE           the ProxySite to serve (reloaded when it changes)
              --secrets-dir DIR     TLS secrets, one folder per secret with tls.crt and tls.key
                                    (default: secrets/ beside the site file)
              --http-port N         plain HTTP listener (default 8080)
              --https-port N        TLS listener (default 8443)
              --admin-port N        /healthz /readyz /metrics /config (default 9901)
              --bind ADDR           address of the proxy listeners (default 0.0.0.0)
              --admin-bind ADDR     address of the admin listener (default 127.0.0.1)
              --metrics-port N      a plain-HTTP listener serving GET /metrics only, apart from the
                                    admin port (default: none; /metrics is on the admin port anyway)
              --metrics-bind ADDR   address of the metrics listener (default: the --admin-bind address)
              --workers N           event loop threads (default: one per CPU)
              --drain-timeout DUR   how long SIGTERM waits for in-flight requests (default 25s)
              --admin-token-file F  enables PUT /config on the admin port for requests bearing the
                                    token in F (re-read when it changes; default: pushes off)
              --revision-file F     the mounted bundle's revision: files older than the config
                                    serving are ignored (default: every valid edit applies)
              --admin-tls-secret S  the admin port speaks TLS only, with the certificate of secret S
                                    (a folder of --secrets-dir, or of a pushed bundle; renewed like the
                                    site's). Required with --admin-token-file on an --admin-bind that
                                    is not loopback (default: plain HTTP)
            """;

    private static final List<String> FLAGS = List.of("--site", "--secrets-dir", "--http-port", "--https-port",
            "--admin-port", "--bind", "--admin-bind", "--metrics-port", "--metrics-bind", "--workers", "--drain-timeout",
            "--admin-token-file", "--revision-file", "--admin-tls-secret");

    static CommandLine parse(List<String> args) {
        if (args.isEmpty() || args.contains("--help") || args.contains("-h")) {
            return new CommandLine(Command.HELP, null, null);
        }
        if (args.get(0).equals("validate")) {
            if (args.size() != 2) {
                throw new IllegalArgumentException("validate takes exactly one file");
            }
            return new CommandLine(Command.VALIDATE, null, Path.of(args.get(1)));
        }
        Path site = null;
        Path secrets = null;
        String bind = "0.0.0.0";
        String adminBind = "127.0.0.1";
        int http = RuntimeOptions.DEFAULT_HTTP_PORT;
        int https = RuntimeOptions.DEFAULT_HTTPS_PORT;
        int admin = RuntimeOptions.DEFAULT_ADMIN_PORT;
        int workers = Runtime.getRuntime().availableProcessors();
        var drain = RuntimeOptions.DEFAULT_DRAIN;
        Path adminToken = null;
        Path revision = null;
        String adminTls = null;
        int metrics = RuntimeOptions.METRICS_OFF;
        String metricsBind = null;
        for (int i = 0; i < args.size(); i++) {
            String flag = args.get(i);
            if (!FLAGS.contains(flag)) {
                throw new IllegalArgumentException(flag.startsWith("-") ? "unknown option " + flag : "unknown argument " + flag);
            }
            if (i + 1 >= args.size() || args.get(i + 1).startsWith("--")) {
                throw new IllegalArgumentException(flag + " needs a value");
            }
            String value = args.get(++i);
            switch (flag) {
                case "--site" -> site = Path.of(value);
                case "--secrets-dir" -> secrets = Path.of(value);
                case "--http-port" -> http = port(flag, value);
                case "--https-port" -> https = port(flag, value);
                case "--admin-port" -> admin = port(flag, value);
                case "--bind" -> bind = value;
                case "--admin-bind" -> adminBind = value;
                case "--metrics-port" -> metrics = port(flag, value);
                case "--metrics-bind" -> metricsBind = value;
                case "--workers" -> workers = positive(flag, value);
                case "--drain-timeout" -> drain = duration(flag, value);
                case "--admin-token-file" -> adminToken = Path.of(value);
                case "--revision-file" -> revision = Path.of(value);
                case "--admin-tls-secret" -> adminTls = value;
                default -> throw new AssertionError("not in FLAGS: " + flag);
            }
        }
        if (site == null) {
            throw new IllegalArgumentException("--site is required");
        }
        if (metricsBind != null && metrics == RuntimeOptions.METRICS_OFF) {
            throw new IllegalArgumentException("--metrics-bind needs --metrics-port");
        }
        RuntimeOptions defaults = RuntimeOptions.forSite(site);
        return new CommandLine(Command.RUN, new RuntimeOptions(site, secrets != null ? secrets : defaults.secretsDir(),
                bind, http, https, adminBind, admin, workers, drain, RuntimeOptions.DEFAULT_RELOAD_INTERVAL,
                adminToken, revision, AdminLimits.DEFAULT, adminTls, metricsBind != null ? metricsBind : adminBind,
                metrics), null);
    }

    private static int port(String flag, String value) {
        int port = integer(flag, value);
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(flag + ": must be 0..65535, got " + value);
        }
        return port;
    }

    private static int positive(String flag, String value) {
        int n = integer(flag, value);
        if (n < 1) {
            throw new IllegalArgumentException(flag + ": must be at least 1, got " + value);
        }
        return n;
    }

    private static Duration duration(String flag, String value) {
        try {
            return Durations.parse(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(flag + ": " + e.getMessage());
        }
    }

    private static int integer(String flag, String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + ": not a number: " + value);
        }
    }
}
