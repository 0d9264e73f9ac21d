package dev.portico.runtime.admin;

import dev.portico.crds.bundle.ConfigPush;
import dev.portico.runtime.config.Bundle;
import dev.portico.runtime.config.ConfigApplier;
import dev.portico.runtime.metrics.ProxyMetrics;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@code PUT /config} does, apart from HTTP: checks the token, reads the bundle and
 * has the {@link ConfigApplier} decide, and says how that went as a status, a body and a
 * counted outcome (docs/config-push.md). The bundle is read and compiled on a thread of
 * its own: building TLS contexts can take a while, and the admin event loop also accepts
 * the proxy's connections.
 */
public final class ConfigPushService implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ConfigPushService.class);
    private static final String TEXT = "text/plain; charset=utf-8";
    private static final String JSON = "application/json";

    /** An answer to a push; {@code outcome} is its {@code portico_config_push_total} label. */
    record Answer(HttpResponseStatus status, String contentType, String body, String outcome) {}

    private final AdminToken token;
    private final ConfigApplier applier;
    private final ProxyMetrics metrics;
    private final ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
        Thread thread = new Thread(r, "portico-config-push");
        thread.setDaemon(true);
        return thread;
    });

    /** @param tokenFile {@code --admin-token-file}, or null: every push is refused with 403 */
    public ConfigPushService(Path tokenFile, ConfigApplier applier, ProxyMetrics metrics) {
        this.token = tokenFile == null ? null : new AdminToken(tokenFile);
        this.applier = applier;
        this.metrics = metrics;
    }

    /**
     * Checks {@code --admin-token-file} before the runtime starts.
     *
     * @throws IllegalArgumentException naming the flag when the file is missing, unreadable or empty
     */
    public static void checkTokenFile(Path tokenFile) {
        if (tokenFile != null) {
            new AdminToken(tokenFile).requireUsable();
        }
    }

    /**
     * The answer to a push head that must not be read further, or null when its body may come:
     * 403 without a token file, 401 without the right token, 413 when the declared length is over
     * {@code maxBody}.
     */
    Answer refusal(String authorization, long contentLength, long maxBody) {
        if (token == null) {
            return counted(new Answer(HttpResponseStatus.FORBIDDEN, TEXT,
                    "config push is off: the runtime was started without --admin-token-file\n", "forbidden"));
        }
        if (!token.admits(authorization)) {
            return counted(new Answer(HttpResponseStatus.UNAUTHORIZED, TEXT,
                    "a bearer token is required (Authorization: Bearer <token>)\n", "unauthorized"));
        }
        return contentLength > maxBody ? tooLarge(maxBody) : null;
    }

    Answer tooLarge(long maxBody) {
        return counted(new Answer(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, TEXT,
                "a config bundle may have at most " + maxBody + " bytes\n", "too_large"));
    }

    /** Reads and applies an authorised push body, off the caller's thread. */
    CompletableFuture<Answer> push(byte[] body) {
        return CompletableFuture.supplyAsync(() -> counted(apply(body)), executor);
    }

    private Answer apply(byte[] body) {
        ConfigPush push;
        try {
            push = ConfigPush.fromJson(body);
        } catch (IllegalArgumentException e) {
            LOG.warn("config push refused: {}", e.getMessage());
            return new Answer(HttpResponseStatus.BAD_REQUEST, TEXT, e.getMessage() + "\n", "invalid");
        }
        Bundle bundle = Bundle.pushed(push);
        ConfigApplier.Result result = applier.apply(bundle);
        String serving = ConfigJson.of(result.serving());
        return switch (result.outcome()) {
            case APPLIED -> new Answer(HttpResponseStatus.OK, JSON, serving, "applied");
            case UNCHANGED -> new Answer(HttpResponseStatus.OK, JSON, serving, "unchanged");
            case STALE, CONFLICT -> {
                LOG.info("config push of {} refused: {}", bundle.describe(), result.reason());
                yield new Answer(HttpResponseStatus.CONFLICT, JSON, serving,
                        result.outcome() == ConfigApplier.Outcome.STALE ? "stale" : "conflict");
            }
            case INVALID -> {
                LOG.warn("config push of {} refused, still serving {}:\n{}", bundle.describe(),
                        result.serving().hash(), result.reason());
                yield new Answer(HttpResponseStatus.BAD_REQUEST, TEXT, result.reason() + "\n", "invalid");
            }
        };
    }

    private Answer counted(Answer answer) {
        metrics.configPushed(answer.outcome());
        return answer;
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
