package dev.portico.crds.v1alpha1;

import static dev.portico.crds.v1alpha1.SchemaPatterns.DURATION;
import static dev.portico.crds.v1alpha1.SchemaPatterns.SIZE;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;

/**
 * Request limits of the whole site; sizes are Kubernetes quantities, timeouts durations.
 * The API names the first three; the rest are additions against slow clients (issue 6),
 * named and defaulted after nginx ({@code client_body_timeout}, {@code send_timeout}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Limits(
        @JsonPropertyDescription("Largest request body, a quantity such as 512Ki, 10Mi, 1Gi or plain bytes; "
                + "larger gets 413. Must be more than 0. A route may override it.")
        @Default("10Mi")
        @Pattern(SIZE)
        String maxRequestBodySize,

        @JsonPropertyDescription("Largest request line plus headers, a quantity; larger gets 431. Must be "
                + "more than 0.")
        @Default("32Ki")
        @Pattern(SIZE)
        String maxRequestHeadersSize,

        @JsonPropertyDescription("Time for a client to send the request headers, a duration such as 500ms, "
                + "10s, 5m; too slow gets 408 and the connection is closed. Must be more than 0.")
        @Default("10s")
        @Pattern(DURATION)
        String requestHeaderTimeout,

        @JsonPropertyDescription("Longest pause between two reads of a request body, a duration (nginx's "
                + "client_body_timeout). Exceeded: 408 and close if no response has started, else the "
                + "connection is closed; either way the upstream request is aborted. Time the proxy itself "
                + "holds the body back (the backend is slow to take it) does not count. Per stream on "
                + "HTTP/2. Must be more than 0.")
        @Default("60s")
        @Pattern(DURATION)
        String requestBodyTimeout,

        @JsonPropertyDescription("Longest time a response may wait on a client that does not read it, a "
                + "duration (after nginx's send_timeout). The wait starts when the proxy's buffer for the "
                + "connection is full (64Ki beyond what the kernel holds; on HTTP/2, when the client's "
                + "flow-control window is used up) and ends when the client takes at least half of it (on "
                + "HTTP/2, opens the window); past it the connection (on HTTP/2 the stream) is closed and the "
                + "upstream request aborted. Must be more than 0.")
        @Default("60s")
        @Pattern(DURATION)
        String sendTimeout,

        @JsonPropertyDescription("Most connections open at once from one client address (the TCP peer), "
                + "counted at accept over HTTP and HTTPS; one more is closed at once, before any byte is "
                + "read. Peers in trustedProxies.cidrs, and every peer when trustedProxies.hops is set, are "
                + "exempt: behind a load balancer all clients share its address. 1..1000000.")
        @Default("512")
        @Min(1)
        @Max(1_000_000)
        Integer maxConnectionsPerClient,

        @JsonPropertyDescription("Most requests in progress at once from one client address (the TCP peer): "
                + "HTTP/1.1 connections with a request under way and HTTP/2 streams alike, WebSockets until they "
                + "close. One more is refused: 503 with Retry-After over HTTP/1.1, RST_STREAM REFUSED_STREAM over "
                + "HTTP/2. Trusted proxies are exempt, as for maxConnectionsPerClient. 1..1000000.")
        @Default("256")
        @Min(1)
        @Max(1_000_000)
        Integer maxRequestsInFlightPerClient,

        @JsonPropertyDescription("Most upstream connections open at once to one backend (service and port), in "
                + "use or idle in the pool. A request that needs one more is refused (503 over HTTP/1.1, "
                + "REFUSED_STREAM over HTTP/2). 1..1000000.")
        @Default("2048")
        @Min(1)
        @Max(1_000_000)
        Integer maxUpstreamConnectionsPerBackend,

        @JsonPropertyDescription("Most upstream connections open at once over all backends, in use or idle; "
                + "refused the same way. 1..1000000.")
        @Default("8192")
        @Min(1)
        @Max(1_000_000)
        Integer maxUpstreamConnections) {

    /** Largest of the count limits above: a sanity bound, far above any one machine's sockets. */
    public static final int MAX_CONNECTIONS_PER_CLIENT = 1_000_000;
}
