package dev.portico.runtime.admission;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.runtime.config.SiteCompiler;
import dev.portico.runtime.config.SiteConfig;
import dev.portico.runtime.config.SiteYaml;
import dev.portico.runtime.policy.InFlightLimiter;
import dev.portico.runtime.policy.RateLimiters;
import dev.portico.runtime.routing.RouteAction;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The admission stages as pure decisions, without sockets: the order of the pipeline and each stage's table. The
 * socket suites (FramingVectorsTest, AccessControlTest, RateLimitTest, RedirectAndHstsTest, RequestsInFlightTest,
 * LocalResponseTest) prove the same end to end.
 */
class AdmissionPipelineTest {

    private static final InetAddress PEER = ip("192.0.2.10");
    private static final InetAddress PROXY = ip("10.0.0.5");

    private static final String ROUTES = """
            routes:
              - match: {path: {type: Exact, value: /hello}}
                respond: {status: 202, body: "hi"}
              - match: {path: {type: Exact, value: /old}}
                redirect: {path: /new, statusCode: 308}
              - match: {path: {type: PathPrefix, value: /}}
                backend: {service: web, port: 3000}
            """;

    private final InFlightLimiter inFlight = new InFlightLimiter();

    private static InetAddress ip(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static SiteConfig site(String extra) {
        return SiteYaml.compile("hosts: [app.example.com]\n" + extra + ROUTES);
    }

    private static HttpRequest get(String uri, String... headers) {
        HttpRequest head = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri);
        head.headers().set(HttpHeaderNames.HOST, "app.example.com");
        for (int i = 0; i < headers.length; i += 2) {
            head.headers().set(headers[i], headers[i + 1]);
        }
        return head;
    }

    private AdmissionRequest request(HttpRequest head, InetAddress peer) {
        return new AdmissionRequest(head, peer, false, false, inFlight);
    }

    private AdmissionRequest request(String uri) {
        return request(get(uri), PEER);
    }

    private static List<Class<?>> order(SiteConfig site) {
        return site.admission().stages().stream().<Class<?>>map(Object::getClass).toList();
    }

    // ---- the order -----------------------------------------------------------------------

    @Test
    void stagesRunInTheOrderOfTheIssueAndUnusedPoliciesAreLeftOut() {
        assertThat(order(site(""))).containsExactly(InFlightStage.class, MalformedHeadStage.class, FramingStage.class,
                TargetStage.class, ClientStage.class, RouteStage.class, NotFoundStage.class, RouteActionStage.class);
        assertThat(order(site("""
                accessControl: {deny: ["203.0.113.0/24"]}
                rateLimit: {requestsPerSecond: 1, burst: 1}
                cors: {allowOrigins: ["https://app.example.com"]}
                """))).containsExactly(InFlightStage.class, MalformedHeadStage.class, FramingStage.class,
                TargetStage.class, ClientStage.class, RouteStage.class, AccessStage.class, RateLimitStage.class,
                NotFoundStage.class, CorsPreflightStage.class, RouteActionStage.class);
    }

    @Test
    void aPolicyOnlyOneRouteSetsStillGetsItsStageAndOneSwitchedOffEverywhereNone() {
        assertThat(order(SiteYaml.compile("""
                hosts: [app.example.com]
                routes:
                  - match: {path: {value: /api}}
                    backend: {service: api, port: 80}
                    rateLimit: {requestsPerSecond: 1}
                  - backend: {service: web, port: 80}
                    accessControl: {deny: ["203.0.113.0/24"]}
                """))).containsExactly(InFlightStage.class, MalformedHeadStage.class, FramingStage.class,
                TargetStage.class, ClientStage.class, RouteStage.class, AccessStage.class, RateLimitStage.class,
                NotFoundStage.class, RouteActionStage.class);
        assertThat(order(SiteYaml.compile("""
                hosts: [app.example.com]
                accessControl: {}
                rateLimit: {enabled: false}
                cors: {enabled: false}
                routes:
                  - backend: {service: web, port: 80}
                    cors: {enabled: false}
                """))).containsExactly(InFlightStage.class, MalformedHeadStage.class, FramingStage.class,
                TargetStage.class, ClientStage.class, RouteStage.class, NotFoundStage.class, RouteActionStage.class);
    }

    @Test
    void acmeAnswersComeRightAfterTheClientBeforeAccessRateLimitAndRedirect() {
        SiteConfig site = SiteCompiler.compile(SiteYaml.load("""
                hosts: [app.example.com]
                accessControl: {deny: ["192.0.2.0/24"]}
                rateLimit: {requestsPerSecond: 1, burst: 1}
                tls: {certificates: [{secretName: s}]}
                """ + ROUTES), "sha256:test", SiteConfig.NO_REVISION, null, null, new RateLimiters(),
                Map.of("tok", "tok.thumb"));

        assertThat(order(site)).containsExactly(InFlightStage.class, MalformedHeadStage.class, FramingStage.class,
                TargetStage.class, ClientStage.class, AcmeChallengeStage.class, RouteStage.class, AccessStage.class,
                RateLimitStage.class, NotFoundStage.class, RouteActionStage.class);
        // Denied by the access list, yet answered, as often as the CA asks.
        for (int i = 0; i < 3; i++) {
            Decision answer = site.admission().decide(request("/.well-known/acme-challenge/tok"));
            assertThat(answer).isInstanceOf(Decision.Respond.class);
            assertThat(((Decision.Respond) answer).status()).isEqualTo(HttpResponseStatus.OK);
            assertThat(((Decision.Respond) answer).body()).isEqualTo("tok.thumb");
        }
        assertThat(site.admission().decide(request("/.well-known/acme-challenge/other")))
                .isEqualTo(Decision.Reject.FORBIDDEN);
        assertThat(site.admission().decide(request("/.well-known/acme-challenge/x/../tok")))
                .isInstanceOf(Decision.Respond.class);
        assertThat(site.admission().decide(request(get("/.well-known/acme-challenge/tok", "Host", "other.example.com"),
                PEER))).isEqualTo(Decision.Reject.FORBIDDEN);
    }

    @Test
    void inFlightComesBeforeEverythingElseSoMalformedRequestsCountToo() {
        SiteConfig site = site("limits: {maxRequestsInFlightPerClient: 1}\n");
        HttpRequest malformed = get("/");
        malformed.setDecoderResult(DecoderResult.failure(new IllegalArgumentException("bad")));

        assertThat(site.admission().decide(request(malformed, PEER))).isEqualTo(Decision.Reject.BAD_REQUEST);
        assertThat(site.admission().decide(request("/"))).isEqualTo(InFlightStage.REFUSED);
        assertThat(inFlight.inFlight(PEER)).isEqualTo(1);
    }

    @Test
    void accessComesBeforeTheRateLimitSoDeniedClientsSpendNoTokens() {
        SiteConfig site = site("""
                accessControl: {deny: ["192.0.2.0/24"]}
                rateLimit: {requestsPerSecond: 1, burst: 1}
                """);

        assertThat(site.admission().decide(request("/"))).isEqualTo(Decision.Reject.FORBIDDEN);
        assertThat(site.admission().decide(request("/"))).isEqualTo(Decision.Reject.FORBIDDEN);
        assertThat(site.admission().decide(request(get("/"), ip("198.51.100.1"))))
                .isInstanceOf(Decision.Forward.class);
    }

    @Test
    void unroutedRequestsSpendTheSitesTokensBeforeTheir404() {
        SiteConfig site = site("rateLimit: {requestsPerSecond: 1, burst: 1}\n");

        assertThat(site.admission().decide(request(get("/", "Host", "other.example.com"), PEER)))
                .isEqualTo(Decision.Reject.NOT_FOUND);
        Decision throttled = site.admission().decide(request("/"));
        assertThat(throttled).isInstanceOf(Decision.Respond.class);
        Decision.Respond respond = (Decision.Respond) throttled;
        assertThat(respond.status()).isEqualTo(HttpResponseStatus.TOO_MANY_REQUESTS);
        assertThat(respond.body()).isEqualTo("429 Too Many Requests\n");
        assertThat(respond.retryAfterSeconds()).isGreaterThanOrEqualTo(1);
        assertThat(respond.headers()).isSameAs(site.responseHeaders());
    }

    // ---- each stage ----------------------------------------------------------------------

    @Test
    void inFlightCountsUntrustedPeersUpToTheCapAndNeverTrustedProxies() {
        InFlightStage stage = new InFlightStage(site("trustedProxies: {cidrs: [10.0.0.0/8]}\n").trust(), 2);

        AdmissionRequest first = request("/");
        assertThat(stage.decide(first)).isSameAs(Decision.CONTINUE);
        assertThat(first.counted()).isEqualTo(PEER);
        assertThat(stage.decide(request("/"))).isSameAs(Decision.CONTINUE);
        AdmissionRequest third = request("/");
        assertThat(stage.decide(third)).isEqualTo(new Decision.Refuse("max_requests_in_flight_per_client"));
        assertThat(third.counted()).isNull();

        for (int i = 0; i < 5; i++) {
            AdmissionRequest viaProxy = request(get("/"), PROXY);
            assertThat(stage.decide(viaProxy)).isSameAs(Decision.CONTINUE);
            assertThat(viaProxy.counted()).isNull();
        }
        assertThat(inFlight.inFlight(PEER)).isEqualTo(2);
    }

    @Test
    void malformedHeadsGet431ForHeaders414ForTheLineAnd400Otherwise() {
        assertThat(MalformedHeadStage.INSTANCE.decide(request("/"))).isSameAs(Decision.CONTINUE);
        assertThat(MalformedHeadStage.rejection(new TooLongHttpHeaderException("x")).status())
                .isEqualTo(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE);
        assertThat(MalformedHeadStage.rejection(new TooLongHttpLineException("x")).status())
                .isEqualTo(HttpResponseStatus.REQUEST_URI_TOO_LONG);
        assertThat(MalformedHeadStage.rejection(new TooLongFrameException("x")).status())
                .isEqualTo(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE);
        assertThat(MalformedHeadStage.rejection(new IllegalArgumentException("x")).status())
                .isEqualTo(HttpResponseStatus.BAD_REQUEST);
        HttpRequest head = get("/");
        head.setDecoderResult(DecoderResult.failure(new TooLongHttpLineException("x")));
        assertThat(MalformedHeadStage.INSTANCE.decide(request(head, PEER))).isEqualTo(Decision.Reject.URI_TOO_LONG);
    }

    @Test
    void framingIsCheckedOnHttp1OnlyAsHttp2FramesRequestsItself() {
        HttpRequest identity = get("/", "Transfer-Encoding", "identity");

        assertThat(FramingStage.INSTANCE.decide(request(identity, PEER))).isEqualTo(Decision.Reject.BAD_REQUEST);
        assertThat(FramingStage.INSTANCE.decide(new AdmissionRequest(identity, PEER, true, true, inFlight)))
                .isSameAs(Decision.CONTINUE);
        assertThat(FramingStage.INSTANCE.decide(request(get("/", "Transfer-Encoding", "chunked"), PEER)))
                .isSameAs(Decision.CONTINUE);
    }

    @Test
    void theTargetIsParsedAndItsHostNormalisedOrTheRequestGets400() {
        TargetStage stage = new TargetStage(site("").paths());

        AdmissionRequest good = request(get("/a/../b%7E?q=1", "Host", "App.Example.com:8080"), PEER);
        assertThat(stage.decide(good)).isSameAs(Decision.CONTINUE);
        assertThat(good.target().path()).isEqualTo("/b~");
        assertThat(good.target().uri()).isEqualTo("/b~?q=1");
        assertThat(good.host()).isEqualTo("app.example.com");

        HttpRequest twoHosts = get("/");
        twoHosts.headers().add(HttpHeaderNames.HOST, "evil.example.com");
        AdmissionRequest bad = request(twoHosts, PEER);
        assertThat(stage.decide(bad)).isEqualTo(Decision.Reject.BAD_REQUEST);
        assertThat(bad.target()).isNull();
    }

    @Test
    void theClientIsThePeerUnlessATrustedProxyForwardedIt() {
        ClientStage stage = new ClientStage(site("trustedProxies: {cidrs: [10.0.0.0/8]}\n").trust());

        AdmissionRequest direct = request(get("/", "X-Forwarded-For", "198.51.100.7"), PEER);
        assertThat(direct.client()).isEqualTo(PEER);
        assertThat(stage.decide(direct)).isSameAs(Decision.CONTINUE);
        assertThat(direct.client()).isEqualTo(PEER);
        assertThat(direct.resolution().peerTrusted()).isFalse();

        AdmissionRequest forwarded = request(get("/", "X-Forwarded-For", "198.51.100.7"), PROXY);
        assertThat(stage.decide(forwarded)).isSameAs(Decision.CONTINUE);
        assertThat(forwarded.client()).isEqualTo(ip("198.51.100.7"));
        assertThat(forwarded.resolution().peerTrusted()).isTrue();
    }

    @Test
    void accessRefusesTheResolvedClientNotThePeer() {
        SiteConfig site = site("""
                trustedProxies: {cidrs: [10.0.0.0/8]}
                accessControl: {allow: ["198.51.100.0/24"]}
                """);

        assertThat(site.admission().decide(request(get("/", "X-Forwarded-For", "198.51.100.7"), PROXY)))
                .isInstanceOf(Decision.Forward.class);
        assertThat(site.admission().decide(request(get("/", "X-Forwarded-For", "203.0.113.7"), PROXY)))
                .isEqualTo(Decision.Reject.FORBIDDEN);
        assertThat(site.admission().decide(request("/"))).isEqualTo(Decision.Reject.FORBIDDEN);
    }

    @Test
    void plainHttpToAServedHostRedirectsToHttpsExceptAcmeChallenges() {
        SiteConfig site = site("");
        HttpsRedirectStage stage = new HttpsRedirectStage(site.router(), site.responseHeaders());

        assertThat(redirect(stage, request(get("/x?y=1", "Host", "app.example.com:8080"), PEER)))
                .isEqualTo("https://app.example.com/x?y=1");
        assertThat(redirect(stage, request("/.well-known/acme-challenge/../../x"))).isEqualTo("https://app.example.com/x");
        assertThat(decide(stage, request("/.well-known/acme-challenge/token"))).isSameAs(Decision.CONTINUE);
        assertThat(decide(stage, new AdmissionRequest(get("/"), PEER, true, false, inFlight)))
                .isSameAs(Decision.CONTINUE);
        assertThat(decide(stage, request(get("/", "Host", "other.example.com"), PEER))).isSameAs(Decision.CONTINUE);
    }

    private Decision decide(AdmissionStage stage, AdmissionRequest request) {
        assertThat(new TargetStage(site("").paths()).decide(request)).isSameAs(Decision.CONTINUE);
        return stage.decide(request);
    }

    private String redirect(AdmissionStage stage, AdmissionRequest request) {
        Decision decision = decide(stage, request);
        assertThat(decision).isInstanceOf(Decision.Redirect.class);
        Decision.Redirect redirect = (Decision.Redirect) decision;
        assertThat(redirect.status()).isEqualTo(301);
        return redirect.location().of(request.target(), request.tls());
    }

    @Test
    void routingGives404ForNoRouteAndOtherwiseTheRoutesActionBuiltOnce() {
        SiteConfig site = site("");

        AdmissionRequest unrouted = request(get("/", "Host", "other.example.com"), PEER);
        assertThat(site.admission().decide(unrouted)).isEqualTo(Decision.Reject.NOT_FOUND);
        assertThat(unrouted.route()).isNull();

        AdmissionRequest hello = request("/hello");
        Decision respond = site.admission().decide(hello);
        assertThat(respond).isEqualTo(new Decision.Respond(HttpResponseStatus.ACCEPTED, "hi",
                hello.route().responseHeaders(), 0));
        assertThat(site.admission().decide(request("/hello"))).isSameAs(respond);

        AdmissionRequest old = request("/old?x=1");
        Decision.Redirect redirect = (Decision.Redirect) site.admission().decide(old);
        assertThat(redirect.status()).isEqualTo(308);
        assertThat(redirect.location().of(old.target(), false)).isEqualTo("http://app.example.com/new?x=1");

        AdmissionRequest forwarded = request("/app");
        Decision.Forward forward = (Decision.Forward) site.admission().decide(forwarded);
        assertThat(forward.route()).isSameAs(forwarded.route());
        assertThat(forward.route().name()).isEqualTo("routes[2]");
        assertThat(forward.action().target()).isEqualTo(new RouteAction.UpstreamTarget("web", 3000, false, "web",
                false));
        assertThat(site.admission().decide(request("/other"))).isSameAs(forward);
    }

    // ---- per-route policies -----------------------------------------------------------------

    private static final String PER_ROUTE = """
            hosts: [app.example.com]
            accessControl: {deny: ["192.0.2.0/24"]}
            rateLimit: {requestsPerSecond: 1, burst: 1}
            routes:
              - match: {path: {value: /open}}
                backend: {service: web, port: 80}
                accessControl: {}
              - match: {path: {value: /office}}
                backend: {service: web, port: 80}
                accessControl: {allow: ["198.51.100.0/24"]}
              - match: {path: {value: /api}}
                backend: {service: api, port: 80}
                accessControl: {}
                rateLimit: {requestsPerSecond: 1, burst: 2}
              - match: {path: {value: /free}}
                backend: {service: web, port: 80}
                accessControl: {}
                rateLimit: {enabled: false}
              - match: {path: {type: Exact, value: /site}}
                backend: {service: web, port: 80}
            """;

    @Test
    void aRoutesAccessControlReplacesTheSitesAndUnroutedRequestsMeetTheSites() {
        SiteConfig site = SiteYaml.compile(PER_ROUTE);
        InetAddress office = ip("198.51.100.7");

        assertThat(site.admission().decide(request("/open"))).isInstanceOf(Decision.Forward.class);
        assertThat(site.admission().decide(request("/site"))).isEqualTo(Decision.Reject.FORBIDDEN);
        assertThat(site.admission().decide(request(get("/nowhere", "Host", "other.example.com"), PEER)))
                .isEqualTo(Decision.Reject.FORBIDDEN);
        // Replace, not add: PEER, denied by the site, passes /open; a client the site lets in is held to the
        // route's allow list.
        assertThat(site.admission().decide(request(get("/office"), office))).isInstanceOf(Decision.Forward.class);
        assertThat(site.admission().decide(request(get("/office"), ip("203.0.113.5"))))
                .isEqualTo(Decision.Reject.FORBIDDEN);
        assertThat(site.admission().decide(request(get("/site"), ip("203.0.113.5")))).isInstanceOf(Decision.Forward.class);
    }

    @Test
    void aRoutesRateLimitHasItsOwnBucketsPerClientAndEnabledFalseLiftsTheSites() {
        SiteConfig site = SiteYaml.compile(PER_ROUTE);
        InetAddress other = ip("198.51.100.9");

        assertThat(site.admission().decide(request(get("/site"), other))).isInstanceOf(Decision.Forward.class);
        assertThat(site.admission().decide(request(get("/site"), other))).isInstanceOf(Decision.Respond.class);
        // The site's bucket of this client is empty; the route's are its own, two deep.
        assertThat(site.admission().decide(request(get("/api"), other))).isInstanceOf(Decision.Forward.class);
        assertThat(site.admission().decide(request(get("/api"), other))).isInstanceOf(Decision.Forward.class);
        Decision third = site.admission().decide(request(get("/api"), other));
        assertThat(third).isInstanceOf(Decision.Respond.class);
        assertThat(((Decision.Respond) third).status()).isEqualTo(HttpResponseStatus.TOO_MANY_REQUESTS);
        // Per client: another client's bucket on the same route is full.
        assertThat(site.admission().decide(request(get("/api"), ip("198.51.100.10"))))
                .isInstanceOf(Decision.Forward.class);
        for (int i = 0; i < 10; i++) {
            assertThat(site.admission().decide(request(get("/free"), other))).isInstanceOf(Decision.Forward.class);
        }
    }

    @Test
    void aDeniedClientSpendsNoTokensOfTheRoute() {
        SiteConfig site = SiteYaml.compile("""
                hosts: [app.example.com]
                routes:
                  - backend: {service: web, port: 80}
                    accessControl: {deny: ["192.0.2.0/24"]}
                    rateLimit: {requestsPerSecond: 1, burst: 1}
                """);

        for (int i = 0; i < 3; i++) {
            assertThat(site.admission().decide(request("/"))).isEqualTo(Decision.Reject.FORBIDDEN);
        }
        assertThat(site.admission().decide(request(get("/"), ip("198.51.100.1")))).isInstanceOf(Decision.Forward.class);
    }

    private static final String CORS = """
            hosts: [app.example.com]
            cors: {allowOrigins: ["https://web.example.com"]}
            routes:
              - match: {path: {value: /own}}
                backend: {service: web, port: 80}
                cors: {allowOrigins: ["https://other.example.com"], allowMethods: [PUT]}
              - match: {path: {value: /off}}
                backend: {service: web, port: 80}
                cors: {enabled: false}
              - match: {path: {type: Exact, value: /hello}}
                respond: {status: 200, body: hi}
              - match: {path: {value: /site}}
                backend: {service: web, port: 80}
            """;

    private static HttpRequest options(String uri, String... headers) {
        HttpRequest head = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.OPTIONS, uri);
        head.headers().set(HttpHeaderNames.HOST, "app.example.com");
        for (int i = 0; i < headers.length; i += 2) {
            head.headers().set(headers[i], headers[i + 1]);
        }
        return head;
    }

    @Test
    void aPreflightToARouteWithCorsIsAnsweredHereWhateverTheRoutesAction() {
        SiteConfig site = SiteYaml.compile(CORS);
        String[] preflight = {"Origin", "https://web.example.com", "Access-Control-Request-Method", "PUT"};

        AdmissionRequest toSite = request(options("/site", preflight), PEER);
        Decision decision = site.admission().decide(toSite);
        assertThat(decision).isInstanceOf(Decision.Preflight.class);
        assertThat(((Decision.Preflight) decision).headers()).isSameAs(toSite.route().responseHeaders());
        assertThat(site.admission().decide(request(options("/site", preflight), PEER))).isSameAs(decision);
        assertThat(site.admission().decide(request(options("/hello", preflight), PEER)))
                .isInstanceOf(Decision.Preflight.class);
        // The route's own policy answers its preflights (allowed or not is the answer's business).
        Decision own = site.admission().decide(request(options("/own", preflight), PEER));
        assertThat(own).isInstanceOf(Decision.Preflight.class).isNotEqualTo(decision);
    }

    @Test
    void notAPreflightOrNoCorsOnTheRouteGoesToTheRoutesAction() {
        SiteConfig site = SiteYaml.compile(CORS);

        assertThat(site.admission().decide(request(options("/site", "Origin", "https://web.example.com"), PEER)))
                .isInstanceOf(Decision.Forward.class);
        assertThat(site.admission().decide(request(options("/site", "Access-Control-Request-Method", "PUT"), PEER)))
                .isInstanceOf(Decision.Forward.class);
        assertThat(site.admission().decide(request(get("/site", "Origin", "https://web.example.com",
                "Access-Control-Request-Method", "PUT"), PEER))).isInstanceOf(Decision.Forward.class);
        assertThat(site.admission().decide(request(options("/off", "Origin", "https://web.example.com",
                "Access-Control-Request-Method", "PUT"), PEER))).isInstanceOf(Decision.Forward.class);
        assertThat(site.admission().decide(request(options("/x", "Host", "other.example.com", "Origin",
                "https://web.example.com", "Access-Control-Request-Method", "PUT"), PEER)))
                .isEqualTo(Decision.Reject.NOT_FOUND);
    }

    @Test
    void theResponsePolicyIsTheRoutesCorsTheSitesForNoRouteAndNoneBeforeTheTargetIsRead() {
        SiteConfig site = SiteYaml.compile(CORS);

        AdmissionRequest own = request("/own");
        site.admission().decide(own);
        AdmissionRequest bySite = request("/site");
        site.admission().decide(bySite);
        AdmissionRequest unrouted = request(get("/", "Host", "other.example.com"), PEER);
        site.admission().decide(unrouted);
        AdmissionRequest off = request("/off");
        site.admission().decide(off);
        HttpRequest twoHosts = get("/");
        twoHosts.headers().add(HttpHeaderNames.HOST, "evil.example.com");
        AdmissionRequest malformed = request(twoHosts, PEER);
        assertThat(site.admission().decide(malformed)).isEqualTo(Decision.Reject.BAD_REQUEST);

        assertThat(site.admission().responsePolicy(own)).isNotNull()
                .isNotSameAs(site.admission().responsePolicy(bySite));
        assertThat(site.admission().responsePolicy(unrouted)).isNotNull()
                .isSameAs(site.admission().responsePolicy(bySite));
        assertThat(site.admission().responsePolicy(off)).isNull();
        assertThat(site.admission().responsePolicy(malformed)).isNull();
        SiteConfig withoutCors = site("");
        AdmissionRequest plain = request("/");
        withoutCors.admission().decide(plain);
        assertThat(withoutCors.admission().responsePolicy(plain)).isNull();
    }
}
