package dev.portico.runtime.config;

import dev.portico.crds.bundle.BackendEndpoints;
import dev.portico.crds.units.Durations;
import dev.portico.crds.units.Sizes;
import dev.portico.crds.v1alpha1.Backend;
import dev.portico.crds.v1alpha1.BackendProtocol;
import dev.portico.crds.v1alpha1.EscapedSlashes;
import dev.portico.crds.v1alpha1.ProxySite;
import dev.portico.crds.v1alpha1.ProxySiteSpec;
import dev.portico.crds.v1alpha1.Route;
import dev.portico.crds.v1alpha1.RouteHeaders;
import dev.portico.crds.v1alpha1.RouteMatch;
import dev.portico.crds.v1alpha1.SiteHeaders;
import dev.portico.runtime.admission.AdmissionPipeline;
import dev.portico.runtime.balancing.BackendClusters;
import dev.portico.runtime.forwarding.TrustPolicy;
import dev.portico.runtime.headers.ClientFields;
import dev.portico.runtime.headers.HeaderRules;
import dev.portico.runtime.headers.SecurityPresets;
import dev.portico.runtime.policy.AccessPolicy;
import dev.portico.runtime.policy.RateLimiters;
import dev.portico.runtime.policy.RoutePolicies;
import dev.portico.runtime.retry.RetryPolicy;
import dev.portico.runtime.routing.CompiledRoute;
import dev.portico.runtime.routing.HostPattern;
import dev.portico.runtime.routing.PathMatcher;
import dev.portico.runtime.routing.PathNormaliser;
import dev.portico.runtime.routing.RouteAction;
import dev.portico.runtime.routing.Router;
import dev.portico.runtime.tls.SecretStore;
import dev.portico.runtime.tls.TlsCompiler;
import dev.portico.runtime.tls.TlsConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Turns a validated, normalised ProxySite into the immutable {@link SiteConfig} the data
 * plane serves. Everything a request would otherwise compute (header rule chains, path
 * matchers, parsed sizes) is computed here once.
 */
public final class SiteCompiler {

    private SiteCompiler() {}

    /** Compiles everything but certificates: enough for routing and headers, and for tests. */
    public static SiteConfig compile(ProxySite site, String hash) {
        return compile(site, hash, SiteConfig.NO_REVISION, null, null, new RateLimiters());
    }

    /** A site without pending ACME challenges. */
    public static SiteConfig compile(ProxySite site, String hash, long revision, TlsCompiler tls, SecretStore secrets,
                                     RateLimiters limiters) {
        return compile(site, hash, revision, tls, secrets, limiters, Map.of());
    }

    /** A site without pending ACME challenges, with its own balancing state and no operator endpoints. */
    public static SiteConfig compile(ProxySite site, String hash, long revision, TlsCompiler tls, SecretStore secrets,
                                     RateLimiters limiters, Map<String, String> acmeAnswers) {
        return compile(site, hash, revision, tls, secrets, limiters, acmeAnswers, new BackendClusters(),
                BackendEndpoints.none());
    }

    /**
     * @param revision the bundle's revision, or {@link SiteConfig#NO_REVISION}
     * @param tls      builds the contexts of the certificates the site names; null leaves the site without TLS contexts
     * @param secrets  where {@code tls} reads the certificates from
     * @param limiters keeps the rate limiters' state (the site's and the routes') across reloads
     * @param acmeAnswers token to key authorization of the operator's pending HTTP-01 challenges
     * @param clusters    keeps the endpoints' balancing and health state across reloads
     * @param endpoints   the operator's endpoints of backend Services (the bundle's backend-endpoints.json)
     * @throws dev.portico.crds.InvalidProxySiteException when a certificate cannot serve
     */
    public static SiteConfig compile(ProxySite site, String hash, long revision, TlsCompiler tls, SecretStore secrets,
                                     RateLimiters limiters, Map<String, String> acmeAnswers,
                                     BackendClusters clusters, BackendEndpoints endpoints) {
        ProxySiteSpec spec = site.spec();
        SiteHeaders siteHeaders = spec.headers();
        HeaderRules siteRequest = HeaderRules.of(siteHeaders == null ? null : siteHeaders.request());
        HeaderRules siteResponse = HeaderRules.of(siteHeaders == null ? null : siteHeaders.response());
        var preset = siteHeaders == null ? null : siteHeaders.securityPreset();
        boolean underscores = siteHeaders != null && Boolean.TRUE.equals(siteHeaders.underscoresInHeaders());

        PathNormaliser paths = spec.paths() != null && spec.paths().escapedSlashes() == EscapedSlashes.Keep
                ? PathNormaliser.KEEP_ESCAPED_SLASHES : PathNormaliser.REJECT_ESCAPED_SLASHES;
        List<CompiledRoute> routes = new ArrayList<>();
        for (int i = 0; i < spec.routes().size(); i++) {
            Route route = spec.routes().get(i);
            RouteHeaders own = route.headers();
            HeaderRules request = HeaderRules.of(own == null ? null : own.request()).then(siteRequest);
            HeaderRules response = SecurityPresets.withPreset(
                    HeaderRules.of(own == null ? null : own.response()).then(siteResponse), preset, spec.tls());
            routes.add(compileRoute(i, route, paths, request, response, ClientFields.of(underscores, request),
                    clusters, endpoints));
        }
        List<HostPattern> hosts = spec.hosts().stream().map(HostPattern::parse).toList();
        var limits = spec.limits();
        Router router = new Router(hosts, routes);
        TrustPolicy trust = TrustPolicy.of(spec.trustedProxies());
        HeaderRules responseHeaders = SecurityPresets.withPreset(siteResponse, preset, spec.tls());
        TlsConfig tlsConfig = tlsConfig(spec, tls, secrets);
        AccessPolicy access = AccessPolicy.of(spec.accessControl());
        var rateLimit = limiters.forSpec(spec.rateLimit());
        return new SiteConfig(
                site.metadata() == null ? "" : site.metadata().name(),
                site.metadata() == null || site.metadata().generation() == null ? 0 : site.metadata().generation(),
                hash,
                revision,
                router,
                paths,
                trust,
                Boolean.TRUE.equals(spec.proxyProtocol()),
                new SiteConfig.Limits(
                        Sizes.parse(limits.maxRequestBodySize()),
                        Math.toIntExact(Sizes.parse(limits.maxRequestHeadersSize())),
                        Durations.parse(limits.requestHeaderTimeout()),
                        Durations.parse(limits.requestBodyTimeout()),
                        Durations.parse(limits.sendTimeout()),
                        limits.maxConnectionsPerClient(),
                        limits.maxRequestsInFlightPerClient(),
                        limits.maxUpstreamConnectionsPerBackend(),
                        limits.maxUpstreamConnections()),
                responseHeaders,
                tlsConfig,
                access,
                rateLimit,
                spec.compression() != null && Boolean.TRUE.equals(spec.compression().enabled())
                        ? Sizes.parse(spec.compression().minSize()) : -1,
                null,
                AdmissionPipeline.compile(trust, limits.maxRequestsInFlightPerClient(), paths,
                        RoutePolicies.compile(spec, access, rateLimit, limiters),
                        tlsConfig != null && tlsConfig.httpRedirect(), router, routes, responseHeaders,
                        RouteAuthCompiler.compile(spec, secrets), acmeAnswers));
    }

    /**
     * A route's Exact or PathPrefix value in the form request paths are compared in, so that
     * {@code /%7Euser} matches what {@code /~user} matches. A value the normaliser refuses
     * ({@code %2F} while the site rejects escaped slashes) stays as written: no request can match it.
     */
    private static String normalised(PathNormaliser paths, String value) {
        return paths.normalise(value) instanceof PathNormaliser.Normalised n ? n.path() : value;
    }

    private static TlsConfig tlsConfig(ProxySiteSpec spec, TlsCompiler tls, SecretStore secrets) {
        if (tls == null) {
            return null;
        }
        if (spec.tls() == null) {
            // A site that dropped TLS keeps no certificate state, and no OCSP refreshes.
            tls.release();
            return null;
        }
        return tls.compile(spec.tls(), !Boolean.FALSE.equals(spec.http2()), secrets);
    }

    private static CompiledRoute compileRoute(int index, Route route, PathNormaliser paths, HeaderRules request,
                                              HeaderRules response, ClientFields clientFields,
                                              BackendClusters clusters, BackendEndpoints endpoints) {
        RouteMatch match = route.match();
        RouteMatch.PathMatch path = match.path();
        PathMatcher matcher = switch (path.type()) {
            case Exact -> PathMatcher.exact(normalised(paths, path.value()));
            case PathPrefix -> PathMatcher.prefix(normalised(paths, path.value()));
            case RegularExpression -> PathMatcher.regex(path.value());
        };
        List<HostPattern> hosts = match.hosts() == null ? List.of()
                : match.hosts().stream().map(HostPattern::parse).toList();
        List<CompiledRoute.HeaderCondition> headers = match.headers() == null ? List.of()
                : match.headers().stream().map(h -> new CompiledRoute.HeaderCondition(h.name(), h.value())).toList();
        return new CompiledRoute(
                "routes[" + index + "]",
                index,
                hosts,
                headers,
                matcher,
                route.rewrite() == null ? null : route.rewrite().replacePrefixMatch(),
                action(route, clusters, endpoints),
                Sizes.parse(route.maxRequestBodySize()),
                request,
                response,
                clientFields);
    }

    /**
     * The pool's key for a backend: a route's, or a forward-auth service's. HTTPS is TLS, and so is GRPC
     * with a tls block; H2C and GRPC speak HTTP/2, HTTPS with offerHttp2 whatever ALPN picks.
     */
    static RouteAction.UpstreamTarget upstreamTarget(Backend backend) {
        BackendProtocol protocol = backend.protocol() == null ? BackendProtocol.HTTP : backend.protocol();
        var backendTls = backend.tls();
        boolean tls = protocol == BackendProtocol.HTTPS || (protocol == BackendProtocol.GRPC && backendTls != null);
        RouteAction.Wire wire = switch (protocol) {
            case H2C, GRPC -> RouteAction.Wire.HTTP2;
            case HTTPS -> backendTls != null && Boolean.TRUE.equals(backendTls.offerHttp2())
                    ? RouteAction.Wire.NEGOTIATED : RouteAction.Wire.HTTP1;
            case HTTP -> RouteAction.Wire.HTTP1;
        };
        return new RouteAction.UpstreamTarget(
                backend.service(),
                backend.port(),
                tls,
                tls && backendTls != null && backendTls.serverName() != null ? backendTls.serverName() : backend.service(),
                tls && backendTls != null && Boolean.TRUE.equals(backendTls.insecureSkipVerify()),
                wire);
    }

    private static RouteAction action(Route route, BackendClusters clusters, BackendEndpoints endpoints) {
        if (route.respond() != null) {
            return new RouteAction.Respond(route.respond().status(), route.respond().body());
        }
        if (route.redirect() != null) {
            var r = route.redirect();
            return new RouteAction.Redirect(r.scheme(), r.hostname(), r.port() == null ? -1 : r.port(), r.path(),
                    r.statusCode());
        }
        var target = upstreamTarget(route.backend());
        var timeouts = route.timeouts();
        return new RouteAction.Forward(
                target,
                Durations.parse(timeouts.connect()),
                Durations.parse(timeouts.response()),
                Durations.parse(timeouts.idle()),
                !Boolean.FALSE.equals(route.websocket()),
                clusters.compile(route.backend(), target, endpoints),
                RetryPolicy.of(route.retries()));
    }
}
