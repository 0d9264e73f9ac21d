package dev.portico.operator.push;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portico.crds.bundle.ConfigPush;
import dev.portico.operator.pki.PodTrustManager;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;

/**
 * Talks to one proxy pod's admin port: {@code GET /config} to learn what it serves,
 * {@code PUT /config} to hand it a bundle (docs/config-push.md). Asynchronous, so that one
 * slow pod holds no operator thread.
 *
 * <p>Over TLS only: every handshake checks the pod's admin certificate with a
 * {@link PodTrustManager}, against the admin CAs trusted at that moment and the name of the site
 * the pod belongs to ({@link ProxyPod#adminName}), which is looked up by the address the
 * connection goes to. The bearer token travels inside that TLS (docs/config-push.md, "The admin
 * channel").
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
    /** "ip:port" of a pod being talked to, to the name its admin certificate must carry; only while calls are open. */
    private final Map<String, Expected> expectedNames = new ConcurrentHashMap<>();

    private record Expected(String name, int calls) {}

    /** @param trustedCas the admin CAs a pod's certificate may chain to, read at each handshake */
    public AdminClient(Executor executor, Supplier<List<X509Certificate>> trustedCas) {
        this(executor, trustedCas, Clock.systemUTC());
    }

    AdminClient(Executor executor, Supplier<List<X509Certificate>> trustedCas, Clock clock) {
        PodTrustManager pods = new PodTrustManager(trustedCas, (host, port) -> {
            Expected expected = expectedNames.get(key(host, port));
            return expected == null ? null : expected.name();
        }, clock);
        SSLContext tls;
        try {
            tls = SSLContext.getInstance("TLS");
            tls.init(null, new TrustManager[] {pods}, null);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every JDK has TLS", e);
        }
        SSLParameters parameters = tls.getDefaultSSLParameters();
        parameters.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(CONNECT_TIMEOUT)
                .sslContext(tls)
                .sslParameters(parameters)
                .executor(executor)
                .build();
    }

    public CompletableFuture<Served> served(ProxyPod pod) {
        HttpRequest request = HttpRequest.newBuilder(uri(pod)).timeout(REQUEST_TIMEOUT).GET().build();
        return send(pod, request);
    }

    private CompletableFuture<Served> send(ProxyPod pod, HttpRequest request) {
        // Pod IPs are unique while a pod lives: the latest call to an address says whose pod is there.
        String key = key(pod.ip(), pod.adminPort());
        expectedNames.compute(key, (k, open) -> new Expected(pod.adminName(), open == null ? 1 : open.calls() + 1));
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
                .whenComplete((response, error) -> expectedNames.computeIfPresent(key,
                        (k, open) -> open.calls() == 1 ? null : new Expected(open.name(), open.calls() - 1)))
                .handle((response, error) -> {
                    if (error != null) {
                        throw new CompletionException(explained(error));
                    }
                    return parse(response);
                });
    }

    /** A refused certificate says so in the pod's problem (and so in the ProxySite's status), not as "handshake failed". */
    private static Throwable explained(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof PodTrustManager.RefusedCertificate refused) {
                return new SSLHandshakeException("admin certificate refused: " + refused.getMessage());
            }
        }
        return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    }

    private static String key(String host, int port) {
        String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        return bare + ":" + port;
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
        return send(pod, request);
    }

    private static Served parse(HttpResponse<String> response) {
        if (response.statusCode() != 200 && response.statusCode() != 409) {
            throw new CompletionException(new PushRefused(response.statusCode(), response.body()));
        }
        try {
            JsonNode root = JSON.readTree(response.body());
            JsonNode hash = root.get("hash");
            if (hash == null || !hash.isTextual()) {
                throw new PushRefused(response.statusCode(), "no hash in " + response.body());
            }
            return new Served(root.path("revision").asLong(0), hash.textValue());
        } catch (IOException e) {
            throw new CompletionException(e);
        }
    }

    private static URI uri(ProxyPod pod) {
        String host = pod.ip().contains(":") ? "[" + pod.ip() + "]" : pod.ip();
        return URI.create("https://" + host + ":" + pod.adminPort() + "/config");
    }
}
