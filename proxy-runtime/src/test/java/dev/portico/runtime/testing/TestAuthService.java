package dev.portico.runtime.testing;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/**
 * A forward-auth service on loopback that answers as authentik's /auth/traefik endpoint does: a session cookie
 * {@code session=<user>} gets 200 with X-authentik-username (and Set-Cookie refreshing it), {@code session=anon}
 * 200 without identity, {@code session=banned} 403, {@code session=broken} 500, {@code session=slow} waits 3 s,
 * {@code session=big} a 401 with a body over the proxy's bound, and no session a 302 to the login flow with a
 * Set-Cookie and a small HTML body. Every request it got is recorded.
 */
public final class TestAuthService implements AutoCloseable {

    /** What the auth service received. */
    public record Seen(String method, String uri, Map<String, List<String>> headers, int bodyBytes) {
        public String header(String name) {
            List<String> values = headers.get(name.substring(0, 1).toUpperCase() + name.substring(1).toLowerCase());
            return values == null || values.isEmpty() ? null : values.get(0);
        }
    }

    private final HttpServer server;
    public final List<Seen> seen = new CopyOnWriteArrayList<>();

    private TestAuthService(HttpServer server) {
        this.server = server;
    }

    public static TestAuthService start() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
            TestAuthService service = new TestAuthService(server);
            server.createContext("/", service::handle);
            server.setExecutor(Executors.newCachedThreadPool());
            server.start();
            return service;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private void handle(HttpExchange exchange) throws IOException {
        int bodyBytes;
        try (InputStream in = exchange.getRequestBody()) {
            bodyBytes = in.readAllBytes().length;
        }
        seen.add(new Seen(exchange.getRequestMethod(), exchange.getRequestURI().toString(),
                Map.copyOf(exchange.getRequestHeaders()), bodyBytes));
        String cookie = exchange.getRequestHeaders().getFirst("Cookie");
        String session = cookie != null && cookie.startsWith("session=") ? cookie.substring(8) : null;
        Headers out = exchange.getResponseHeaders();
        if (session == null) {
            String rd = exchange.getRequestHeaders().getFirst("X-Forwarded-Uri");
            out.add("Location", "/outpost.goauthentik.io/start?rd=" + rd);
            out.add("Set-Cookie", "authentik_proxy_x=state; Path=/; HttpOnly");
            out.add("Set-Cookie", "second=2; Path=/");
            send(exchange, 302, "<a href=\"/outpost.goauthentik.io/start\">Found</a>");
            return;
        }
        switch (session) {
            case "banned" -> send(exchange, 403, "forbidden by policy");
            case "broken" -> send(exchange, 500, "oops");
            case "big" -> send(exchange, 401, "x".repeat(100_000));
            case "slow" -> {
                sleep(3_000);
                send(exchange, 200, "");
            }
            case "anon" -> send(exchange, 200, "");
            default -> {
                out.add("X-authentik-username", session);
                out.add("X-authentik-groups", "admins|users");
                out.add("X-Not-Copied", "secret");
                out.add("Set-Cookie", "refreshed=1");
                send(exchange, 200, "ok");
            }
        }
    }

    private static void send(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream os = exchange.getResponseBody()) {
            os.write(bytes);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
