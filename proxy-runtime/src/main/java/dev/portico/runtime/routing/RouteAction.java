package dev.portico.runtime.routing;

import dev.portico.runtime.balancing.Cluster;
import dev.portico.runtime.retry.RetryPolicy;
import java.time.Duration;

/** What a matched route does with a request: exactly one of these, as the API requires. */
public sealed interface RouteAction {

    /**
     * Proxy to an upstream.
     *
     * @param target  the backend as the route names it (its budget key and SNI name)
     * @param cluster its endpoints, balancer and outlier detector
     * @param retries when a failed try goes again
     */
    record Forward(UpstreamTarget target, Duration connectTimeout, Duration responseTimeout, Duration idleTimeout,
                   boolean websocket, Cluster cluster, RetryPolicy retries) implements RouteAction {

        /** A backend of one address, without retries. */
        public Forward(UpstreamTarget target, Duration connectTimeout, Duration responseTimeout, Duration idleTimeout,
                       boolean websocket) {
            this(target, connectTimeout, responseTimeout, idleTimeout, websocket, Cluster.single(target),
                    RetryPolicy.NONE);
        }
    }

    /** Answer with a fixed response. */
    record Respond(int status, String body) implements RouteAction {}

    /** Answer with a redirect; a null part is taken from the request. */
    record Redirect(String scheme, String hostname, int port, String path, int statusCode) implements RouteAction {}

    /**
     * Where requests go. {@code insecureSkipVerify} and {@code serverName} only matter for
     * TLS upstreams; the record is the upstream pool's key, so equal targets share connections.
     */
    record UpstreamTarget(String host, int port, boolean tls, String serverName, boolean insecureSkipVerify,
                          Wire wire) {

        /** An HTTP/1.1 target (protocol HTTP, or HTTPS without offerHttp2). */
        public UpstreamTarget(String host, int port, boolean tls, String serverName, boolean insecureSkipVerify) {
            this(host, port, tls, serverName, insecureSkipVerify, Wire.HTTP1);
        }

        /** {@code host:port} as a Host header spells it: an IPv6 literal in brackets. */
        public String authority() {
            return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
        }

        @Override
        public String toString() {
            return host + ":" + port;
        }
    }

    /** The HTTP version spoken to a target, and how it is chosen. */
    enum Wire {
        /** HTTP/1.1 keep-alive connections. */
        HTTP1,
        /** HTTP/2: prior knowledge in cleartext (H2C, GRPC), ALPN h2 alone over TLS (GRPC with tls). */
        HTTP2,
        /** TLS offering ALPN h2 and http/1.1, speaking what the backend picks (HTTPS with offerHttp2). */
        NEGOTIATED;

        /** Whether requests to such a target may be HTTP/2 streams (WebSocket upgrades then cannot work). */
        public boolean mayBeHttp2() {
            return this != HTTP1;
        }
    }
}
