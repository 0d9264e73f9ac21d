package dev.portico.runtime.config;

import dev.portico.runtime.admission.AdmissionPipeline;
import dev.portico.runtime.forwarding.TrustPolicy;
import dev.portico.runtime.headers.HeaderRules;
import dev.portico.runtime.policy.AccessPolicy;
import dev.portico.runtime.policy.RateLimiter;
import dev.portico.runtime.routing.PathNormaliser;
import dev.portico.runtime.routing.Router;
import dev.portico.runtime.tls.TlsConfig;
import io.netty.handler.ssl.SslContext;
import java.time.Duration;

/**
 * One generation of the site, compiled and immutable. Connections read the current
 * generation once per request, so a reload never changes a request half-way.
 *
 * @param generation         the ProxySite's metadata.generation (0 when absent)
 * @param hash               {@code sha256:<hex>} of everything the config was built from
 *                           ({@link dev.portico.crds.bundle.BundleFiles#hash}, the operator's hash)
 * @param revision           the bundle's revision, or {@link #NO_REVISION} for site files without one
 * @param paths              brings every request path into the form routes match and backends get
 * @param proxyProtocol      both listeners read a PROXY protocol header (from {@code trust}'s CIDRs only)
 *                           before HTTP or TLS; read at accept, so a change applies to new connections
 * @param responseHeaders    site rules and preset, for responses the proxy makes itself
 * @param tls                certificates by SNI name, or null for a plain-HTTP site
 * @param access             allow/deny by client IP
 * @param rateLimit          per-client token buckets, or null when unlimited
 * @param compressionMinSize smallest response worth compressing, or -1 when compression is off
 * @param adminTls           the admin listener's TLS context (the bundle's {@code --admin-tls-secret}), or
 *                           null when the admin port speaks plain HTTP
 * @param admission          the stages that decide each request before it goes upstream, built from the above
 */
public record SiteConfig(
        String name,
        long generation,
        String hash,
        long revision,
        Router router,
        PathNormaliser paths,
        TrustPolicy trust,
        boolean proxyProtocol,
        Limits limits,
        HeaderRules responseHeaders,
        TlsConfig tls,
        AccessPolicy access,
        RateLimiter rateLimit,
        long compressionMinSize,
        SslContext adminTls,
        AdmissionPipeline admission) {

    /** The revision of a config read from site files without a revision file. */
    public static final long NO_REVISION = -1;

    /** This config with the admin listener's TLS context: new admin connections take it, open ones keep theirs. */
    public SiteConfig withAdminTls(SslContext context) {
        return new SiteConfig(name, generation, hash, revision, router, paths, trust, proxyProtocol, limits,
                responseHeaders, tls, access, rateLimit, compressionMinSize, context, admission);
    }

    /** Limits that apply before a route is known, and those against slow clients. */
    public record Limits(long maxRequestBodySize, int maxRequestHeadersSize, Duration requestHeaderTimeout,
                         Duration requestBodyTimeout, Duration sendTimeout, int maxConnectionsPerClient,
                         int maxRequestsInFlightPerClient, int maxUpstreamConnectionsPerBackend,
                         int maxUpstreamConnections) {}
}
