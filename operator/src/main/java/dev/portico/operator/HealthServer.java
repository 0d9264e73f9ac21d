package dev.portico.operator;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.javaoperatorsdk.operator.RuntimeInfo;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * The operator's own probes and metrics on PORTICO_HEALTH_PORT: {@code /healthz} (started and
 * every informer healthy: a watch that keeps failing restarts the pod), {@code /readyz}
 * (started) and {@code /metrics} (Prometheus text, JOSDK's metrics included).
 *
 * <p>With leader election a standby replica is started too (its informers run, only event
 * processing waits for the Lease), so it is ready and healthy. That is deliberate: the operator
 * serves no traffic, and its Deployment rolls with maxUnavailable 0, so a standby reporting not
 * ready would stall every rollout for as long as the other replica leads (docs/operator.md).
 */
final class HealthServer implements AutoCloseable {

    private final HttpServer server;

    private HealthServer(HttpServer server) {
        this.server = server;
    }

    static HealthServer start(int port, Supplier<RuntimeInfo> runtime, PrometheusMeterRegistry registry) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
        server.createContext("/healthz", exchange -> {
            RuntimeInfo info = runtime.get();
            boolean healthy = info.isStarted() && info.allEventSourcesAreHealthy();
            respond(exchange, healthy ? 200 : 503, healthy ? "ok\n" : "unhealthy: " + info.unhealthyEventSources() + "\n",
                    "text/plain; charset=utf-8");
        });
        server.createContext("/readyz", exchange -> {
            boolean ready = runtime.get().isStarted();
            respond(exchange, ready ? 200 : 503, ready ? "ok\n" : "starting\n", "text/plain; charset=utf-8");
        });
        server.createContext("/metrics", exchange ->
                respond(exchange, 200, registry.scrape(), "text/plain; version=0.0.4; charset=utf-8"));
        server.setExecutor(Executors.newSingleThreadExecutor(r -> {
            Thread thread = new Thread(r, "health-server");
            thread.setDaemon(true);
            return thread;
        }));
        server.start();
        return new HealthServer(server);
    }

    int port() {
        return server.getAddress().getPort();
    }

    private static void respond(HttpExchange exchange, int status, String body, String contentType) throws IOException {
        try (exchange) {
            if (!"GET".equals(exchange.getRequestMethod()) && !"HEAD".equals(exchange.getRequestMethod())) {
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", contentType);
            boolean head = "HEAD".equals(exchange.getRequestMethod());
            exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
            if (!head) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
