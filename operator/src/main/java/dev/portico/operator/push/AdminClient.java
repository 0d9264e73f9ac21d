package dev.portico.operator.push;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portico.crds.bundle.ConfigPush;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Talks to one proxy pod's admin port: {@code GET /config} to learn what it serves,
 * {@code PUT /config} to hand it a bundle (docs/config-push.md). Asynchronous, so that one
 * slow pod holds no operator thread.
 */
public final class AdminClient {

    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What a pod says it serves. */
    public record Served(long revision, String hash) {}

    /** A pod answered, but not with what it serves. */
    public static final class PushRefused extends IOException {
        private final int status;

        PushRefused(int status, String body) {
            super("HTTP " + status + ": " + body.strip());
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    private final HttpClient http;

    public AdminClient(Executor executor) {
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(CONNECT_TIMEOUT)
                .executor(executor)
                .build();
    }

    public CompletableFuture<Served> served(ProxyPod pod) {
        HttpRequest request = HttpRequest.newBuilder(uri(pod)).timeout(REQUEST_TIMEOUT).GET().build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).thenApply(AdminClient::parse);
    }

    /**
     * Pushes a bundle. A 409 (the pod already serves a newer revision) still tells what it
     * serves, so it completes normally with that.
     */
    public CompletableFuture<Served> push(ProxyPod pod, ConfigPush bundle, String token) {
        HttpRequest request = HttpRequest.newBuilder(uri(pod))
                .timeout(REQUEST_TIMEOUT)
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(bundle.toJson()))
                .build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).thenApply(AdminClient::parse);
    }

    private static Served parse(HttpResponse<String> response) {
        if (response.statusCode() != 200 && response.statusCode() != 409) {
            throw new java.util.concurrent.CompletionException(new PushRefused(response.statusCode(), response.body()));
        }
        try {
            JsonNode root = JSON.readTree(response.body());
            JsonNode hash = root.get("hash");
            if (hash == null || !hash.isTextual()) {
                throw new PushRefused(response.statusCode(), "no hash in " + response.body());
            }
            return new Served(root.path("revision").asLong(0), hash.textValue());
        } catch (IOException e) {
            throw new java.util.concurrent.CompletionException(e);
        }
    }

    private static URI uri(ProxyPod pod) {
        String host = pod.ip().contains(":") ? "[" + pod.ip() + "]" : pod.ip();
        return URI.create("http://" + host + ":" + pod.adminPort() + "/config");
    }
}
