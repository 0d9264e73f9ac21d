package dev.portico.runtime.admin;

import java.time.Duration;

/**
 * Bounds on admin-port clients, the same kinds the proxy listeners have. Fixed rather than read
 * from the site: the admin port serves the kubelet, Prometheus and the operator, not the site's
 * clients, and a site's author must not be able to switch its protections off.
 *
 * @param headTimeout             a request head must be complete this long after its first byte
 *                                (after the accept, on a new connection), else 408 and close
 * @param idleTimeout             a keep-alive connection with no request is closed after this
 * @param bodyTimeout             a request body (a config push: up to 8 MiB) must be complete this
 *                                long after its head, else 408 and close
 * @param maxConnectionsPerClient open admin connections per TCP peer address; one more is reset at accept
 */
public record AdminLimits(Duration headTimeout, Duration idleTimeout, Duration bodyTimeout,
                          int maxConnectionsPerClient) {

    /**
     * The proxy listeners' default head timeout (10 s) and keep-alive time (75 s, nginx's). A push
     * gets 30 s for its body: three times the operator's own timeout for the whole request, and
     * 8 MiB in 30 s is 280 KB/s, which any network between the operator and a pod far exceeds. 64
     * connections per address: the admin port has a handful of clients (probes, one scraper, the
     * operator), which may share a node's address; one address cannot hold more.
     */
    public static final AdminLimits DEFAULT = new AdminLimits(Duration.ofSeconds(10), Duration.ofSeconds(75),
            Duration.ofSeconds(30), 64);
}
