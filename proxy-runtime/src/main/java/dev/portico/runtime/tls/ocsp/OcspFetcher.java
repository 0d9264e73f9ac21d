package dev.portico.runtime.tls.ocsp;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Asks a responder for a certificate's status: one HTTP POST of the DER request
 * ({@code application/ocsp-request}, RFC 6960 appendix A). Bounded in time (connect
 * timeout, and one deadline for the whole exchange, body included, which the JDK
 * client's own request timeout does not cover) and in size.
 */
final class OcspFetcher {

    /** Real answers are a few KiB at most, even with a delegated responder's certificate. */
    static final int MAX_RESPONSE_BYTES = 64 * 1024;

    private final Duration connectTimeout;
    private final Duration timeout;
    private HttpClient client;

    OcspFetcher(Duration connectTimeout, Duration timeout) {
        this.connectTimeout = connectTimeout;
        this.timeout = timeout;
    }

    /** The responder's answer, not yet checked; only ever called from the stapling thread. */
    byte[] fetch(OcspSource source) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(source.responder())
                .timeout(timeout)
                .header("Content-Type", "application/ocsp-request")
                .header("Accept", "application/ocsp-response")
                .POST(HttpRequest.BodyPublishers.ofByteArray(source.request()))
                .build();
        CompletableFuture<HttpResponse<byte[]>> exchange =
                client().sendAsync(request, info -> new BoundedBodySubscriber(MAX_RESPONSE_BYTES));
        HttpResponse<byte[]> response;
        try {
            response = exchange.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            exchange.cancel(true);
            throw new HttpTimeoutException("no complete answer within " + timeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            exchange.cancel(true);
            throw e;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw cause instanceof IOException io ? io : new IOException(cause.toString(), cause);
        }
        if (response.statusCode() != 200) {
            throw new IOException("the responder answered HTTP " + response.statusCode());
        }
        return response.body();
    }

    /** Made on first use: a runtime without stapled certificates starts no HTTP client threads. */
    private HttpClient client() {
        if (client == null) {
            client = HttpClient.newBuilder()
                    .connectTimeout(connectTimeout)
                    .followRedirects(HttpClient.Redirect.NEVER)
                    // No h2c upgrade attempt: OCSP responders speak HTTP/1.1.
                    .version(HttpClient.Version.HTTP_1_1)
                    .build();
        }
        return client;
    }
}
