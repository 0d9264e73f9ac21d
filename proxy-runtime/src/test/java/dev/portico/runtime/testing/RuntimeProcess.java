package dev.portico.runtime.testing;

import org.awaitility.core.ConditionTimeoutException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;

/**
 * The proxy runtime in its own JVM, for tests that need what an in-process server cannot give: a heap cap
 * ({@code -Xmx}), real signals, a real exit code. It runs the test class path's {@code dev.portico.runtime.Main}
 * on free loopback ports, captures its output to files, and returns only once {@code /readyz} says 200.
 */
public final class RuntimeProcess implements AutoCloseable {

    private static final String MAIN_CLASS = "dev.portico.runtime.Main";
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration READY_POLL = Duration.ofMillis(100);
    private static final Duration KILL_TIMEOUT = Duration.ofSeconds(10);
    private static final HttpClient PROBE = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(1))
            .build();

    private final Process process;
    private final List<String> command;
    private final Path logDir;
    private final Path stdout;
    private final Path stderr;
    private final int httpPort;
    private final int adminPort;

    private RuntimeProcess(Process process, List<String> command, Path logDir, int httpPort, int adminPort) {
        this.process = process;
        this.command = command;
        this.logDir = logDir;
        this.stdout = logDir.resolve("stdout.log");
        this.stderr = logDir.resolve("stderr.log");
        this.httpPort = httpPort;
        this.adminPort = adminPort;
    }

    /**
     * Starts {@code java <jvmArgs> -cp <this JVM's class path> dev.portico.runtime.Main --site <siteFile>
     * --http-port <free> --admin-port <free> --bind 127.0.0.1 <extraArgs>} and waits up to 30 s for readiness.
     *
     * @throws AssertionError with the captured stderr when the runtime exits or is not ready in time
     */
    public static RuntimeProcess start(Path siteFile, List<String> jvmArgs, String... extraArgs) {
        int httpPort = FreePorts.next();
        int adminPort = FreePorts.next();
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmArgs);
        // Under surefire this is either the real class path or a manifest-only jar whose Class-Path lists it;
        // the child JVM resolves both the same way.
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), MAIN_CLASS,
                "--site", siteFile.toAbsolutePath().toString(),
                "--http-port", Integer.toString(httpPort),
                "--admin-port", Integer.toString(adminPort),
                "--bind", "127.0.0.1"));
        command.addAll(List.of(extraArgs));

        RuntimeProcess runtime;
        try {
            Path logDir = Files.createTempDirectory("portico-runtime-");
            Process process = new ProcessBuilder(command)
                    .redirectOutput(logDir.resolve("stdout.log").toFile())
                    .redirectError(logDir.resolve("stderr.log").toFile())
                    .start();
            runtime = new RuntimeProcess(process, List.copyOf(command), logDir, httpPort, adminPort);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
        try {
            runtime.awaitReady();
            return runtime;
        } catch (RuntimeException | Error e) {
            runtime.close();
            throw e;
        }
    }

    private void awaitReady() {
        try {
            await("runtime readiness")
                    .atMost(READY_TIMEOUT)
                    .pollDelay(Duration.ZERO)
                    .pollInterval(READY_POLL)
                    .until(() -> !process.isAlive() || isReady());
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("runtime not ready within " + READY_TIMEOUT.toSeconds() + " s"
                    + describe(), e);
        }
        if (!process.isAlive()) {
            throw new AssertionError("runtime exited with code " + process.exitValue() + " before it was ready"
                    + describe());
        }
    }

    private boolean isReady() {
        HttpRequest probe = HttpRequest.newBuilder(URI.create(adminBaseUrl() + "/readyz"))
                .timeout(Duration.ofSeconds(2))
                .build();
        try {
            return PROBE.send(probe, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;  // not listening yet
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    public int httpPort() {
        return httpPort;
    }

    public int adminPort() {
        return adminPort;
    }

    /** {@code http://127.0.0.1:<httpPort>} */
    public String httpBaseUrl() {
        return "http://127.0.0.1:" + httpPort;
    }

    /** {@code http://127.0.0.1:<adminPort>} */
    public String adminBaseUrl() {
        return "http://127.0.0.1:" + adminPort;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Asks for a graceful stop: on Linux {@link Process#destroy()} sends SIGTERM. */
    public void sendSigterm() {
        process.destroy();
    }

    /** Waits for the process to exit and returns its exit code; fails the test if it is still running. */
    public int waitForExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("runtime still running after " + timeout.toMillis() + " ms" + describe());
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for the runtime to exit", e);
        }
    }

    /** Everything the runtime printed to stdout so far, line by line. */
    public List<String> stdoutLines() {
        return read(stdout).lines().toList();
    }

    /** Everything the runtime printed to stderr so far. */
    public String stderrText() {
        return read(stderr);
    }

    /** Kills the runtime if it still runs (SIGKILL) and removes the captured output. */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(KILL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        deleteLogs();
    }

    private String describe() {
        return "\ncommand: " + String.join(" ", command)
                + "\n--- stderr ---\n" + stderrText()
                + "\n--- stdout ---\n" + read(stdout);
    }

    private static String read(Path file) {
        try {
            // Decoded leniently (malformed bytes become U+FFFD): this is for assertions and failure messages.
            return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "<cannot read " + file + ": " + e + ">";
        }
    }

    private void deleteLogs() {
        try (Stream<Path> files = Files.walk(logDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // Best effort: a leftover temp dir must not fail the test.
        }
    }

    @Override
    public String toString() {
        return "RuntimeProcess[pid=" + process.pid() + ", http=" + httpPort + ", admin=" + adminPort + "]";
    }
}
