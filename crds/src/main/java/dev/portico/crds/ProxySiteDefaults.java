package dev.portico.crds;

import dev.portico.crds.v1alpha1.AccessControl;
import dev.portico.crds.v1alpha1.AcmeChallenge;
import dev.portico.crds.v1alpha1.Auth;
import dev.portico.crds.v1alpha1.Backend;
import dev.portico.crds.v1alpha1.BackendProtocol;
import dev.portico.crds.v1alpha1.Compression;
import dev.portico.crds.v1alpha1.Cors;
import dev.portico.crds.v1alpha1.EscapedSlashes;
import dev.portico.crds.v1alpha1.Exposure;
import dev.portico.crds.v1alpha1.HeaderModifier;
import dev.portico.crds.v1alpha1.Limits;
import dev.portico.crds.v1alpha1.LoadBalancer;
import dev.portico.crds.v1alpha1.PassiveHealth;
import dev.portico.crds.v1alpha1.PathMatchType;
import dev.portico.crds.v1alpha1.Paths;
import dev.portico.crds.v1alpha1.ProxySiteSpec;
import dev.portico.crds.v1alpha1.RateLimit;
import dev.portico.crds.v1alpha1.Redirect;
import dev.portico.crds.v1alpha1.Respond;
import dev.portico.crds.v1alpha1.Retries;
import dev.portico.crds.v1alpha1.Route;
import dev.portico.crds.v1alpha1.RouteHeaders;
import dev.portico.crds.v1alpha1.RouteMatch;
import dev.portico.crds.v1alpha1.SecurityPreset;
import dev.portico.crds.v1alpha1.SiteHeaders;
import dev.portico.crds.v1alpha1.Timeouts;
import dev.portico.crds.v1alpha1.Tls;
import dev.portico.crds.v1alpha1.TlsVersion;
import dev.portico.crds.v1alpha1.TrustedProxies;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * The defaults of the ProxySite API in one place, and {@link #normalise} that writes them
 * out, so that the runtime and the operator never re-derive a default on their own.
 */
public final class ProxySiteDefaults {

    public static final int REPLICAS = 2;
    public static final Exposure.Type SERVICE_TYPE = Exposure.Type.ClusterIP;
    public static final TlsVersion TLS_MIN_VERSION = TlsVersion.TLS_1_2;
    public static final boolean TLS_HTTP_REDIRECT = true;
    /** For an {@code hsts} block without maxAge: two years, the value HSTS preload lists ask for. */
    public static final long HSTS_MAX_AGE = 63_072_000L;
    /** Off unless asked for: it reaches sub-domains the site may not own. */
    public static final boolean HSTS_INCLUDE_SUBDOMAINS = false;
    public static final boolean HSTS_PRELOAD = false;
    public static final boolean HTTP2 = true;
    /** Off: a PROXY protocol header is expected only where a load balancer is known to send one. */
    public static final boolean PROXY_PROTOCOL = false;
    /** Absent trustedProxies: trust nobody, the client is the TCP peer. */
    public static final int TRUSTED_PROXY_HOPS = 0;
    public static final String MAX_REQUEST_BODY_SIZE = "10Mi";
    public static final String MAX_REQUEST_HEADERS_SIZE = "32Ki";
    public static final String REQUEST_HEADER_TIMEOUT = "10s";
    /** nginx's client_body_timeout. */
    public static final String REQUEST_BODY_TIMEOUT = "60s";
    /** nginx's send_timeout. */
    public static final String SEND_TIMEOUT = "60s";
    /**
     * Far above what a browser (6 per host over HTTP/1.1, 1 over HTTP/2) or a NATed office
     * needs, yet one address cannot hold the runtime's file descriptors (20,000 per pod).
     */
    public static final int MAX_CONNECTIONS_PER_CLIENT = 512;
    /**
     * A browser has at most 6 HTTP/1.1 requests or about 100 HTTP/2 streams in progress per
     * connection to a site; 256 leaves it (and a small NATed office) far from the limit, while
     * one address can no longer hold 512 connections x 128 streams of upstream connections.
     */
    public static final int MAX_REQUESTS_IN_FLIGHT_PER_CLIENT = 256;
    /** A quarter of {@link #MAX_UPSTREAM_CONNECTIONS}: one stalled backend leaves room for the others. */
    public static final int MAX_UPSTREAM_CONNECTIONS_PER_BACKEND = 2048;
    /** Under half of the pod's 20,000 file descriptors: the rest is for client connections. */
    public static final int MAX_UPSTREAM_CONNECTIONS = 8192;
    /** Envoy's advice for proxies in front of backends that may decode them (nginx keeps them). */
    public static final EscapedSlashes ESCAPED_SLASHES = EscapedSlashes.Reject;
    public static final SecurityPreset SECURITY_PRESET = SecurityPreset.NONE;
    /** nginx's underscores_in_headers off: CGI-style backends read '_' as '-'. */
    public static final boolean UNDERSCORES_IN_HEADERS = false;
    public static final boolean COMPRESSION_ENABLED = false;
    public static final String COMPRESSION_MIN_SIZE = "1Ki";
    public static final PathMatchType PATH_MATCH_TYPE = PathMatchType.PathPrefix;
    /** As in Gateway API: a route without a path matches everything. */
    public static final String PATH_MATCH_VALUE = "/";
    public static final BackendProtocol BACKEND_PROTOCOL = BackendProtocol.HTTP;
    public static final boolean BACKEND_INSECURE_SKIP_VERIFY = false;
    public static final String CONNECT_TIMEOUT = "5s";
    public static final String RESPONSE_TIMEOUT = "60s";
    public static final String IDLE_TIMEOUT = "300s";
    public static final boolean WEBSOCKET = true;
    /** {@code rateLimit: {enabled: false}} is the way to switch a site's limit off for one route. */
    public static final boolean RATE_LIMIT_ENABLED = true;
    /** The CORS-safelisted methods: browsers never preflight them for their method. */
    public static final List<String> CORS_ALLOW_METHODS = List.of("GET", "HEAD", "POST");
    public static final boolean CORS_ALLOW_CREDENTIALS = false;
    /** Gateway API's default, and the Fetch standard's when the header is absent. */
    public static final int CORS_MAX_AGE = 5;
    public static final boolean CORS_ENABLED = true;
    public static final int RESPOND_STATUS = 200;
    public static final String RESPOND_BODY = "";
    public static final int REDIRECT_STATUS_CODE = 302;
    public static final String FORWARD_AUTH_PATH = "/";
    public static final String FORWARD_AUTH_TIMEOUT = "5s";
    public static final String BASIC_AUTH_REALM = "Restricted";
    public static final boolean BACKEND_OFFER_HTTP2 = false;
    public static final LoadBalancer.Type LOAD_BALANCER_TYPE = LoadBalancer.Type.RoundRobin;
    public static final String AFFINITY_COOKIE_PATH = "/";
    /** On by default, as nginx's max_fails is: a dead pod should not keep its share. */
    public static final boolean PASSIVE_HEALTH_ENABLED = true;
    /** Envoy's consecutive_gateway_failure default. */
    public static final int PASSIVE_HEALTH_CONSECUTIVE_FAILURES = 5;
    /** nginx's fail_timeout, doubled on each further ejection. */
    public static final String PASSIVE_HEALTH_BASE_EJECTION_TIME = "10s";
    public static final String PASSIVE_HEALTH_MAX_EJECTION_TIME = "300s";
    /** Envoy Gateway's default: half the endpoints always stay. */
    public static final int PASSIVE_HEALTH_MAX_EJECTION_PERCENT = 50;
    public static final int RETRY_ATTEMPTS = 2;
    public static final List<String> RETRY_ON = List.of("connect-failure", "reset", "503");
    public static final String RETRY_MAX_BUFFERED_BODY = "64Ki";
    /** Envoy's retry budget defaults. */
    public static final int RETRY_BUDGET_PERCENT = 20;
    public static final int RETRY_BUDGET_MIN_CONCURRENT = 3;

    private ProxySiteDefaults() {}

    /**
     * A copy of {@code spec} with every default written out, hosts lower-cased and absent
     * lists and header edits made empty. Blocks whose absence means something stay absent:
     * {@code tls} (plain HTTP only), {@code accessControl}, {@code rateLimit} and {@code cors} (off, or on a
     * route: the site's),
     * {@code hsts} (no header), {@code rewrite} and the parts of a {@code redirect} (kept
     * from the request). Other defaults that depend on the spec:
     * <ul>
     *   <li>a certificate without hosts serves all {@code spec.hosts};
     *   <li>{@code rateLimit.burst} is {@code requestsPerSecond};
     *   <li>a route's {@code maxRequestBodySize} is the site's;
     *   <li>an HTTPS backend's {@code tls.serverName} is its service name (unless an IP).
     * </ul>
     * Meant for a valid spec; idempotent.
     */
    public static ProxySiteSpec normalise(ProxySiteSpec spec) {
        List<String> hosts = lowerCase(spec.hosts());
        Limits limits = limits(spec.limits());
        return new ProxySiteSpec(
                hosts,
                orDefault(spec.replicas(), REPLICAS),
                spec.proxyClassName(),
                exposure(spec.service()),
                tls(spec.tls(), hosts),
                orDefault(spec.http2(), HTTP2),
                trustedProxies(spec.trustedProxies()),
                orDefault(spec.proxyProtocol(), PROXY_PROTOCOL),
                limits,
                paths(spec.paths()),
                siteHeaders(spec.headers()),
                compression(spec.compression()),
                accessControl(spec.accessControl()),
                rateLimit(spec.rateLimit()),
                cors(spec.cors()),
                map(spec.routes(), route -> route(route, limits.maxRequestBodySize())),
                auth(spec.auth()));
    }

    /**
     * The spec as the proxy pods get it: without {@code service} and {@code proxyClassName},
     * which only the operator acts on, so that a change to either pushes nothing to the pods.
     */
    public static ProxySiteSpec runtimeView(ProxySiteSpec spec) {
        boolean acme = spec.tls() != null && spec.tls().acme() != null;
        if (spec.service() == null && spec.proxyClassName() == null && !acme) {
            return spec;
        }
        // tls.acme is the operator's too: its certificate is already one of tls.certificates.
        Tls tls = !acme ? spec.tls() : new Tls(spec.tls().certificates(), spec.tls().minVersion(),
                spec.tls().httpRedirect(), spec.tls().hsts());
        return new ProxySiteSpec(spec.hosts(), spec.replicas(), null, null, tls, spec.http2(),
                spec.trustedProxies(), spec.proxyProtocol(), spec.limits(), spec.paths(), spec.headers(),
                spec.compression(), spec.accessControl(), spec.rateLimit(), spec.cors(), spec.routes(), spec.auth());
    }

    /** Absent stays absent (a ClusterIP Service); the type defaults to ClusterIP, the other fields are the cluster's. */
    private static Exposure exposure(Exposure exposure) {
        if (exposure == null) {
            return null;
        }
        return new Exposure(
                orDefault(exposure.type(), SERVICE_TYPE),
                exposure.annotations() == null ? Map.of() : exposure.annotations(),
                exposure.externalTrafficPolicy(),
                exposure.loadBalancerClass(),
                exposure.loadBalancerSourceRanges() == null ? List.of() : exposure.loadBalancerSourceRanges(),
                exposure.nodePorts());
    }

    private static Tls tls(Tls tls, List<String> siteHosts) {
        if (tls == null) {
            return null;
        }
        List<Tls.Certificate> certificates = new ArrayList<>(map(tls.certificates(), certificate -> new Tls.Certificate(
                certificate.secretName(),
                certificate.hosts() == null || certificate.hosts().isEmpty()
                        ? siteHosts
                        : lowerCase(certificate.hosts()))));
        Tls.Acme acme = acme(tls.acme(), siteHosts);
        if (acme != null && certificates.stream().noneMatch(c -> c.secretName().equals(acme.secretName()))) {
            // ACME's certificate serves like any other; listed explicitly, the entry's hosts choose its SNI names.
            certificates.add(new Tls.Certificate(acme.secretName(), acme.hosts()));
        }
        Tls.Hsts hsts = tls.hsts() == null ? null : new Tls.Hsts(
                orDefault(tls.hsts().maxAge(), HSTS_MAX_AGE),
                orDefault(tls.hsts().includeSubDomains(), HSTS_INCLUDE_SUBDOMAINS),
                orDefault(tls.hsts().preload(), HSTS_PRELOAD));
        return new Tls(
                List.copyOf(certificates),
                orDefault(tls.minVersion(), TLS_MIN_VERSION),
                orDefault(tls.httpRedirect(), TLS_HTTP_REDIRECT),
                hsts,
                acme);
    }

    /** The defaults of {@code tls.acme}; its hosts are the site's that are not wildcards. */
    private static Tls.Acme acme(Tls.Acme acme, List<String> siteHosts) {
        if (acme == null) {
            return null;
        }
        return new Tls.Acme(
                acme.email(),
                orDefault(acme.directory(), Tls.Acme.LETS_ENCRYPT),
                orDefault(acme.challenge(), AcmeChallenge.HTTP_01),
                acme.hosts() == null || acme.hosts().isEmpty()
                        ? siteHosts.stream().filter(h -> !h.startsWith("*")).toList()
                        : lowerCase(acme.hosts()),
                acme.secretName(),
                orDefault(acme.accountSecretName(), Tls.Acme.DEFAULT_ACCOUNT_SECRET));
    }

    private static TrustedProxies trustedProxies(TrustedProxies trusted) {
        if (trusted == null) {
            return new TrustedProxies(List.of(), TRUSTED_PROXY_HOPS);
        }
        return new TrustedProxies(copy(trusted.cidrs()), orDefault(trusted.hops(), TRUSTED_PROXY_HOPS));
    }

    private static Limits limits(Limits limits) {
        if (limits == null) {
            return new Limits(MAX_REQUEST_BODY_SIZE, MAX_REQUEST_HEADERS_SIZE, REQUEST_HEADER_TIMEOUT,
                    REQUEST_BODY_TIMEOUT, SEND_TIMEOUT, MAX_CONNECTIONS_PER_CLIENT, MAX_REQUESTS_IN_FLIGHT_PER_CLIENT,
                    MAX_UPSTREAM_CONNECTIONS_PER_BACKEND, MAX_UPSTREAM_CONNECTIONS);
        }
        return new Limits(
                orDefault(limits.maxRequestBodySize(), MAX_REQUEST_BODY_SIZE),
                orDefault(limits.maxRequestHeadersSize(), MAX_REQUEST_HEADERS_SIZE),
                orDefault(limits.requestHeaderTimeout(), REQUEST_HEADER_TIMEOUT),
                orDefault(limits.requestBodyTimeout(), REQUEST_BODY_TIMEOUT),
                orDefault(limits.sendTimeout(), SEND_TIMEOUT),
                orDefault(limits.maxConnectionsPerClient(), MAX_CONNECTIONS_PER_CLIENT),
                orDefault(limits.maxRequestsInFlightPerClient(), MAX_REQUESTS_IN_FLIGHT_PER_CLIENT),
                orDefault(limits.maxUpstreamConnectionsPerBackend(), MAX_UPSTREAM_CONNECTIONS_PER_BACKEND),
                orDefault(limits.maxUpstreamConnections(), MAX_UPSTREAM_CONNECTIONS));
    }

    private static Paths paths(Paths paths) {
        return new Paths(paths == null ? ESCAPED_SLASHES : orDefault(paths.escapedSlashes(), ESCAPED_SLASHES));
    }

    private static SiteHeaders siteHeaders(SiteHeaders headers) {
        if (headers == null) {
            return new SiteHeaders(SECURITY_PRESET, headerModifier(null), headerModifier(null),
                    UNDERSCORES_IN_HEADERS);
        }
        return new SiteHeaders(
                orDefault(headers.securityPreset(), SECURITY_PRESET),
                headerModifier(headers.request()),
                headerModifier(headers.response()),
                orDefault(headers.underscoresInHeaders(), UNDERSCORES_IN_HEADERS));
    }

    private static RouteHeaders routeHeaders(RouteHeaders headers) {
        if (headers == null) {
            return new RouteHeaders(headerModifier(null), headerModifier(null));
        }
        return new RouteHeaders(headerModifier(headers.request()), headerModifier(headers.response()));
    }

    private static HeaderModifier headerModifier(HeaderModifier modifier) {
        if (modifier == null) {
            return new HeaderModifier(Map.of(), Map.of(), List.of());
        }
        return new HeaderModifier(copy(modifier.set()), copy(modifier.add()), copy(modifier.remove()));
    }

    private static Compression compression(Compression compression) {
        if (compression == null) {
            return new Compression(COMPRESSION_ENABLED, COMPRESSION_MIN_SIZE);
        }
        return new Compression(
                orDefault(compression.enabled(), COMPRESSION_ENABLED),
                orDefault(compression.minSize(), COMPRESSION_MIN_SIZE));
    }

    private static AccessControl accessControl(AccessControl accessControl) {
        if (accessControl == null) {
            return null;
        }
        return new AccessControl(copy(accessControl.allow()), copy(accessControl.deny()));
    }

    private static RateLimit rateLimit(RateLimit rateLimit) {
        if (rateLimit == null) {
            return null;
        }
        return new RateLimit(rateLimit.requestsPerSecond(), orDefault(rateLimit.burst(), rateLimit.requestsPerSecond()),
                orDefault(rateLimit.enabled(), RATE_LIMIT_ENABLED));
    }

    private static Cors cors(Cors cors) {
        if (cors == null) {
            return null;
        }
        return new Cors(
                map(cors.allowOrigins(), origin -> origin == null ? null : origin.toLowerCase(Locale.ROOT)),
                cors.allowMethods() == null || cors.allowMethods().isEmpty() ? CORS_ALLOW_METHODS : cors.allowMethods(),
                copy(cors.allowHeaders()),
                copy(cors.exposeHeaders()),
                orDefault(cors.allowCredentials(), CORS_ALLOW_CREDENTIALS),
                orDefault(cors.maxAge(), CORS_MAX_AGE),
                orDefault(cors.enabled(), CORS_ENABLED));
    }

    private static Route route(Route route, String siteMaxRequestBodySize) {
        return new Route(
                match(route.match()),
                backend(route.backend()),
                respond(route.respond()),
                redirect(route.redirect()),
                route.rewrite(),
                timeouts(route.timeouts()),
                orDefault(route.maxRequestBodySize(), siteMaxRequestBodySize),
                routeHeaders(route.headers()),
                orDefault(route.websocket(), WEBSOCKET),
                accessControl(route.accessControl()),
                rateLimit(route.rateLimit()),
                cors(route.cors()),
                auth(route.auth()),
                retries(route.retries()));
    }

    /** Absent stays absent (no auth, or the site's on a route); the endpoint's path, timeout and the realm default. */
    private static Auth auth(Auth auth) {
        if (auth == null) {
            return null;
        }
        Auth.ForwardAuth forward = auth.forward() == null ? null : new Auth.ForwardAuth(
                backend(auth.forward().backend()),
                orDefault(auth.forward().path(), FORWARD_AUTH_PATH),
                copy(auth.forward().responseHeaders()),
                orDefault(auth.forward().timeout(), FORWARD_AUTH_TIMEOUT));
        Auth.BasicAuth basic = auth.basic() == null ? null
                : new Auth.BasicAuth(auth.basic().secretName(), orDefault(auth.basic().realm(), BASIC_AUTH_REALM));
        return new Auth(auth.enabled(), forward, basic);
    }

    private static RouteMatch match(RouteMatch match) {
        RouteMatch.PathMatch path = match == null ? null : match.path();
        RouteMatch.PathMatch normalisedPath = path == null
                ? new RouteMatch.PathMatch(PATH_MATCH_TYPE, PATH_MATCH_VALUE)
                : new RouteMatch.PathMatch(
                        orDefault(path.type(), PATH_MATCH_TYPE), orDefault(path.value(), PATH_MATCH_VALUE));
        if (match == null) {
            return new RouteMatch(normalisedPath, List.of(), List.of());
        }
        return new RouteMatch(normalisedPath, lowerCase(match.hosts()), copy(match.headers()));
    }

    private static Backend backend(Backend backend) {
        if (backend == null) {
            return null;
        }
        BackendProtocol protocol = orDefault(backend.protocol(), BACKEND_PROTOCOL);
        Backend.BackendTls tls = backend.tls();
        if (protocol == BackendProtocol.HTTPS || (protocol == BackendProtocol.GRPC && tls != null)) {
            tls = new Backend.BackendTls(
                    tls == null || tls.insecureSkipVerify() == null ? BACKEND_INSECURE_SKIP_VERIFY : tls.insecureSkipVerify(),
                    tls == null || tls.serverName() == null ? serverNameFor(backend.service()) : tls.serverName(),
                    tls == null || tls.offerHttp2() == null ? BACKEND_OFFER_HTTP2 : tls.offerHttp2());
        }
        return new Backend(backend.service(), backend.port(), protocol, tls, copy(backend.addresses()),
                loadBalancer(backend.loadBalancer()), healthCheck(backend.healthCheck()));
    }

    private static LoadBalancer loadBalancer(LoadBalancer loadBalancer) {
        if (loadBalancer == null) {
            return new LoadBalancer(LOAD_BALANCER_TYPE, null);
        }
        LoadBalancer.ConsistentHash hash = loadBalancer.consistentHash();
        if (hash != null && hash.cookie() != null) {
            LoadBalancer.CookieKey cookie = hash.cookie();
            hash = new LoadBalancer.ConsistentHash(hash.type(), hash.header(),
                    new LoadBalancer.CookieKey(cookie.name(), cookie.ttl(), orDefault(cookie.path(), AFFINITY_COOKIE_PATH)));
        }
        return new LoadBalancer(orDefault(loadBalancer.type(), LOAD_BALANCER_TYPE), hash);
    }

    private static Backend.HealthCheck healthCheck(Backend.HealthCheck healthCheck) {
        PassiveHealth passive = healthCheck == null || healthCheck.passive() == null
                ? new PassiveHealth(null, null, null, null, null, null) : healthCheck.passive();
        return new Backend.HealthCheck(new PassiveHealth(
                orDefault(passive.enabled(), PASSIVE_HEALTH_ENABLED),
                orDefault(passive.consecutiveFailures(), PASSIVE_HEALTH_CONSECUTIVE_FAILURES),
                passive.consecutive5xx(),
                orDefault(passive.baseEjectionTime(), PASSIVE_HEALTH_BASE_EJECTION_TIME),
                orDefault(passive.maxEjectionTime(), PASSIVE_HEALTH_MAX_EJECTION_TIME),
                orDefault(passive.maxEjectionPercent(), PASSIVE_HEALTH_MAX_EJECTION_PERCENT)));
    }

    private static Retries retries(Retries retries) {
        if (retries == null) {
            return null;
        }
        Retries.RetryBudget budget = retries.budget() == null ? new Retries.RetryBudget(null, null) : retries.budget();
        return new Retries(
                orDefault(retries.attempts(), RETRY_ATTEMPTS),
                retries.retryOn() == null || retries.retryOn().isEmpty() ? RETRY_ON : List.copyOf(retries.retryOn()),
                retries.perTryTimeout(),
                orDefault(retries.maxBufferedBody(), RETRY_MAX_BUFFERED_BODY),
                new Retries.RetryBudget(orDefault(budget.percent(), RETRY_BUDGET_PERCENT),
                        orDefault(budget.minConcurrent(), RETRY_BUDGET_MIN_CONCURRENT)));
    }

    /** SNI cannot carry an IP address, so an IP backend gets no server name. */
    private static String serverNameFor(String service) {
        return service.contains(":") || service.chars().allMatch(c -> c == '.' || Character.isDigit(c))
                ? null
                : service;
    }

    private static Respond respond(Respond respond) {
        if (respond == null) {
            return null;
        }
        return new Respond(orDefault(respond.status(), RESPOND_STATUS), orDefault(respond.body(), RESPOND_BODY));
    }

    private static Redirect redirect(Redirect redirect) {
        if (redirect == null) {
            return null;
        }
        String hostname = redirect.hostname() == null ? null : redirect.hostname().toLowerCase(Locale.ROOT);
        return new Redirect(
                redirect.scheme(),
                hostname,
                redirect.port(),
                redirect.path(),
                orDefault(redirect.statusCode(), REDIRECT_STATUS_CODE));
    }

    private static Timeouts timeouts(Timeouts timeouts) {
        if (timeouts == null) {
            return new Timeouts(CONNECT_TIMEOUT, RESPONSE_TIMEOUT, IDLE_TIMEOUT);
        }
        return new Timeouts(
                orDefault(timeouts.connect(), CONNECT_TIMEOUT),
                orDefault(timeouts.response(), RESPONSE_TIMEOUT),
                orDefault(timeouts.idle(), IDLE_TIMEOUT));
    }

    private static <T> T orDefault(T value, T fallback) {
        return value == null ? fallback : value;
    }

    private static List<String> lowerCase(List<String> hosts) {
        return map(hosts, host -> host == null ? null : host.toLowerCase(Locale.ROOT));
    }

    private static <T, R> List<R> map(List<T> list, Function<T, R> function) {
        return list == null ? List.of() : list.stream().map(function).toList();
    }

    private static <T> List<T> copy(List<T> list) {
        return map(list, Function.identity());
    }

    // Not Map.copyOf: that would lose the order in which the user wrote the headers.
    private static Map<String, String> copy(Map<String, String> map) {
        return map == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(map));
    }
}
