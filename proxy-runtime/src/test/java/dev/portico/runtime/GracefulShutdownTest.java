package dev.portico.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portico.runtime.testing.RawHttpClient;
import dev.portico.runtime.testing.RawResponse;
import dev.portico.runtime.testing.RunningProxy;
import dev.portico.runtime.testing.RuntimeProcess;
import dev.portico.runtime.testing.SiteFiles;
import dev.portico.runtime.testing.TestBackend;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM on the real process (how Kubernetes stops a pod): readiness drops, the listener
 * closes, what is in flight finishes, and the process exits 0 within its drain time.
 */
class GracefulShutdownTest {

    private static final Duration DRAIN = Duration.ofSeconds(6);
    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(1)).build();

    @TempDir
    Path dir;
    TestBackend backend;
    RuntimeProcess runtime;

    @BeforeEach
    void start() {
        backend = TestBackend.start("app");
        Path site = SiteFiles.write(dir, RunningProxy.siteFor(backend, ""));
        runtime = RuntimeProcess.start(site, List.of("-Xmx128m"), "--drain-timeout", DRAIN.toSeconds() + "s");
    }

    @AfterEach
    void stop() {
        runtime.close();
        backend.close();
    }

    @Test
    void aRequestInFlightCompletesWhileReadinessDropsAndTheListenerCloses() throws Exception {
        try (RawHttpClient client = RawHttpClient.connect(runtime.httpPort())) {
            client.send("GET /__slow?delayMs=1500 HTTP/1.1\r\nHost: a\r\n\r\n");
            assertThat(backend.takeRequest().uri()).isEqualTo("/__slow?delayMs=1500");
            CompletableFuture<RawResponse> answer = CompletableFuture.supplyAsync(() -> {
                try {
                    return client.readResponse();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            long sigterm = System.nanoTime();

            runtime.sendSigterm();

            // Readiness goes and the listener closes while the slow answer is still on its way.
            await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(20))
                    .until(() -> readyzStatus() != 200);
            await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(20))
                    .until(() -> refusesConnections());
            assertThat(answer).as("the slow request is still in flight").isNotDone();

            RawResponse response = answer.get(10, TimeUnit.SECONDS);
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.bodyText()).isEqualTo("ok app GET /__slow?delayMs=1500");
            assertThat(runtime.isAlive()).as("a drained runtime exits, it does not wait out the drain time")
                    .isTrue();
            assertThat(runtime.waitForExit(DRAIN)).isZero();
            assertThat(elapsedMs(sigterm)).isLessThan(DRAIN.toMillis());
        }
        assertThat(runtime.stderrText()).contains("SIGTERM received").contains("stopped")
                .doesNotContain("unfinished exchanges");
        // Finished during the drain, logged before the exit: the access log loses no line to a shutdown.
        assertThat(runtime.stdoutLines()).anySatisfy(line -> assertThat(line)
                .contains("\"path\":\"/__slow\"").contains("\"status\":200"));
    }

    @Test
    void aKeepAliveConnectionOpenedBeforeSigtermIsServedOnceMoreAndThenClosed() throws Exception {
        try (RawHttpClient slow = RawHttpClient.connect(runtime.httpPort());
             RawHttpClient idle = RawHttpClient.connect(runtime.httpPort())) {
            idle.send("GET /first HTTP/1.1\r\nHost: a\r\n\r\n");
            assertThat(idle.readResponse().header("Connection")).isNull();
            slow.send("GET /__slow?delayMs=1500 HTTP/1.1\r\nHost: a\r\n\r\n");
            await().atMost(Duration.ofSeconds(10)).until(() -> backend.requests().size() == 2);

            runtime.sendSigterm();
            await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(20))
                    .until(() -> readyzStatus() != 200);

            // Already connected: still answered, but told to go elsewhere next time.
            idle.send("GET /during-drain HTTP/1.1\r\nHost: a\r\n\r\n");
            RawResponse during = idle.readResponse();
            assertThat(during.status()).isEqualTo(200);
            assertThat(during.bodyText()).isEqualTo("ok app GET /during-drain");
            assertThat(during.header("Connection")).isEqualToIgnoringCase("close");
            assertThat(idle.isClosedByPeer()).isTrue();
            assertThat(slow.readResponse().status()).isEqualTo(200);
        }
        assertThat(runtime.waitForExit(DRAIN)).isZero();
    }

    @Test
    void anIdleRuntimeExitsZeroPromptly() {
        long sigterm = System.nanoTime();
        runtime.sendSigterm();

        assertThat(runtime.waitForExit(DRAIN)).isZero();
        assertThat(elapsedMs(sigterm)).isLessThan(DRAIN.toMillis());
    }

    @Test
    void theDrainTimeBoundsAStuckRequest() throws Exception {
        try (RawHttpClient client = RawHttpClient.connect(runtime.httpPort())) {
            client.send("GET /__slow?delayMs=60000 HTTP/1.1\r\nHost: a\r\n\r\n");
            assertThat(backend.takeRequest().uri()).startsWith("/__slow");
            long sigterm = System.nanoTime();

            runtime.sendSigterm();

            assertThat(runtime.waitForExit(DRAIN.plusSeconds(5))).isZero();
            assertThat(elapsedMs(sigterm)).isBetween(DRAIN.toMillis() - 500, DRAIN.toMillis() + 5_000);
            assertThat(client.isClosedByPeer()).isTrue();
        }
        assertThat(runtime.stderrText()).contains("closing 1 unfinished exchanges");
    }

    private int readyzStatus() throws InterruptedException {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(runtime.adminBaseUrl() + "/readyz"))
                    .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        }
    }

    private boolean refusesConnections() {
        try (RawHttpClient ignored = RawHttpClient.connect(runtime.httpPort())) {
            return false;
        } catch (ConnectException e) {
            return true;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static long elapsedMs(long since) {
        return (System.nanoTime() - since) / 1_000_000;
    }
}
