package dev.portico.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class CommandLineTest {

    private static CommandLine parse(String... args) {
        return CommandLine.parse(List.of(args));
    }

    @Test
    void siteAloneRunsWithTheDefaults() {
        CommandLine line = parse("--site", "conf/site.yaml");

        assertThat(line.command()).isEqualTo(CommandLine.Command.RUN);
        RuntimeOptions options = line.options();
        assertThat(options.siteFile()).isEqualTo(Path.of("conf/site.yaml"));
        assertThat(options.secretsDir()).isEqualTo(Path.of("conf/secrets").toAbsolutePath());
        assertThat(options.httpPort()).isEqualTo(8080);
        assertThat(options.httpsPort()).isEqualTo(8443);
        assertThat(options.adminPort()).isEqualTo(9901);
        assertThat(options.bind()).isEqualTo("0.0.0.0");
        assertThat(options.adminBind()).isEqualTo("127.0.0.1");
        assertThat(options.workers()).isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThat(options.drainTimeout()).isEqualTo(Duration.ofSeconds(25));
        assertThat(options.reloadInterval()).isEqualTo(RuntimeOptions.DEFAULT_RELOAD_INTERVAL);
        assertThat(options.adminTokenFile()).as("pushes are off unless asked for").isNull();
        assertThat(options.revisionFile()).isNull();
        assertThat(options.metricsPort()).as("no metrics listener unless asked for").isEqualTo(RuntimeOptions.METRICS_OFF);
    }

    @Test
    void theMetricsListenerBindsWhereTheAdminPortDoesUnlessToldOtherwise() {
        RuntimeOptions options = parse("--site", "s.yaml", "--admin-bind", "0.0.0.0", "--metrics-port", "9902").options();
        assertThat(options.metricsPort()).isEqualTo(9902);
        assertThat(options.metricsBind()).isEqualTo("0.0.0.0");

        options = parse("--site", "s.yaml", "--metrics-port", "9902").options();
        assertThat(options.metricsBind()).isEqualTo("127.0.0.1");

        options = parse("--site", "s.yaml", "--metrics-bind", "10.0.0.7", "--metrics-port", "0").options();
        assertThat(options.metricsBind()).isEqualTo("10.0.0.7");
        assertThat(options.metricsPort()).isZero();
        assertThat(options.adminBind()).isEqualTo("127.0.0.1");
    }

    @Test
    void aMetricsBindWithoutAMetricsPortIsAnError() {
        assertThatThrownBy(() -> parse("--site", "s.yaml", "--metrics-bind", "0.0.0.0"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--metrics-bind needs --metrics-port");
        assertThatThrownBy(() -> parse("--site", "s.yaml", "--metrics-port", "70000"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--metrics-port: must be 0..65535, got 70000");
    }

    @Test
    void secretsDefaultToTheFolderBesideASiteFileInTheWorkingDirectory() {
        RuntimeOptions options = parse("--site", "site.yaml").options();

        assertThat(options.secretsDir()).isEqualTo(Path.of("secrets").toAbsolutePath());
    }

    @Test
    void everyFlagIsRead() {
        CommandLine line = parse("--site", "/etc/portico/site.yaml", "--secrets-dir", "/run/secrets",
                "--http-port", "80", "--https-port", "443", "--admin-port", "9000", "--bind", "::",
                "--admin-bind", "0.0.0.0", "--workers", "3", "--drain-timeout", "1m30s",
                "--admin-token-file", "/etc/portico-admin/token", "--revision-file", "/etc/portico/revision",
                "--admin-tls-secret", "_admin");

        RuntimeOptions options = line.options();
        assertThat(line.command()).isEqualTo(CommandLine.Command.RUN);
        assertThat(options.siteFile()).isEqualTo(Path.of("/etc/portico/site.yaml"));
        assertThat(options.secretsDir()).isEqualTo(Path.of("/run/secrets"));
        assertThat(options.httpPort()).isEqualTo(80);
        assertThat(options.httpsPort()).isEqualTo(443);
        assertThat(options.adminPort()).isEqualTo(9000);
        assertThat(options.bind()).isEqualTo("::");
        assertThat(options.adminBind()).isEqualTo("0.0.0.0");
        assertThat(options.workers()).isEqualTo(3);
        assertThat(options.drainTimeout()).isEqualTo(Duration.ofSeconds(90));
        assertThat(options.adminTokenFile()).isEqualTo(Path.of("/etc/portico-admin/token"));
        assertThat(options.revisionFile()).isEqualTo(Path.of("/etc/portico/revision"));
        assertThat(options.adminTlsSecret()).isEqualTo("_admin");
    }

    @Test
    void flagsMayComeInAnyOrder() {
        RuntimeOptions options = parse("--http-port", "0", "--site", "s.yaml", "--admin-port", "0").options();

        assertThat(options.siteFile()).isEqualTo(Path.of("s.yaml"));
        assertThat(options.httpPort()).isZero();
        assertThat(options.adminPort()).isZero();
    }

    @Test
    void theLastOfARepeatedFlagWins() {
        assertThat(parse("--site", "a.yaml", "--site", "b.yaml").options().siteFile()).isEqualTo(Path.of("b.yaml"));
    }

    @Test
    void validateTakesOneFile() {
        CommandLine line = parse("validate", "site.yaml");

        assertThat(line.command()).isEqualTo(CommandLine.Command.VALIDATE);
        assertThat(line.validateFile()).isEqualTo(Path.of("site.yaml"));
        assertThat(line.options()).isNull();
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {"validate", "validate a.yaml b.yaml"})
    void validateWithoutExactlyOneFileIsAnError(String args) {
        assertThatThrownBy(() -> CommandLine.parse(Arrays.asList(args.split(" "))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("validate takes exactly one file");
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {"--help", "-h", "--site s.yaml --help", "--help --bogus", "validate --help"})
    void helpWinsOverEverythingElse(String args) {
        assertThat(CommandLine.parse(Arrays.asList(args.split(" "))).command()).isEqualTo(CommandLine.Command.HELP);
    }

    @Test
    void noArgumentsShowHelp() {
        assertThat(CommandLine.parse(List.of()).command()).isEqualTo(CommandLine.Command.HELP);
    }

    @Test
    void usageNamesEveryFlag() {
        for (String flag : List.of("--site", "--secrets-dir", "--http-port", "--https-port", "--admin-port", "--bind",
                "--admin-bind", "--workers", "--drain-timeout", "--admin-token-file", "--revision-file", "--admin-tls-secret", "--metrics-port", "--metrics-bind", "validate")) {
            assertThat(CommandLine.USAGE).contains(flag);
        }
    }

    @ParameterizedTest(name = "[{index}] {0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            --site s.yaml --bogus x             | unknown option --bogus
            --bogus x --site s.yaml             | unknown option --bogus
            --site s.yaml -p 80                 | unknown option -p
            --site s.yaml extra                 | unknown argument extra
            --site s.yaml --verbose             | unknown option --verbose
            --site s.yaml -v                    | unknown option -v
            --site=s.yaml                       | unknown option --site=s.yaml
            --site --http-port 80               | --site needs a value
            --site s.yaml --bind --workers 2    | --bind needs a value
            --site                              | --site needs a value
            --site s.yaml --http-port           | --http-port needs a value
            --site s.yaml --drain-timeout       | --drain-timeout needs a value
            --site s.yaml --admin-token-file    | --admin-token-file needs a value
            --site s.yaml --revision-file       | --revision-file needs a value
            --site s.yaml --http-port 65536     | --http-port: must be 0..65535, got 65536
            --site s.yaml --https-port -1       | --https-port: must be 0..65535, got -1
            --site s.yaml --admin-port 99999    | --admin-port: must be 0..65535, got 99999
            --site s.yaml --http-port http      | --http-port: not a number: http
            --site s.yaml --http-port 8080.0    | --http-port: not a number: 8080.0
            --site s.yaml --workers 0           | --workers: must be at least 1, got 0
            --site s.yaml --workers many        | --workers: not a number: many
            --http-port 80                      | --site is required
            --bind 127.0.0.1 --admin-port 1     | --site is required
            """)
    void mistakesAreReportedClearly(String args, String message) {
        assertThatThrownBy(() -> CommandLine.parse(Arrays.asList(args.trim().split(" +"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {"10", "soon", "-5s"})
    void aBadDrainTimeoutIsAnErrorNamingTheFlagAndTheValue(String value) {
        assertThatThrownBy(() -> parse("--site", "s.yaml", "--drain-timeout", value))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("--drain-timeout: ")
                .hasMessageContaining(value);
    }
}
