package dev.portico.runtime.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.runtime.forwarding.IpAddresses;
import dev.portico.runtime.routing.CompiledRoute;
import dev.portico.runtime.routing.PathNormaliser;
import dev.portico.runtime.routing.RequestHeaderLookup;
import dev.portico.runtime.routing.RouteAction;
import dev.portico.runtime.routing.RouteResult;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SiteCompilerTest {

    private static CompiledRoute route(SiteConfig site, String path) {
        RouteResult result = site.router().route("example.com", path, RequestHeaderLookup.NONE);
        assertThat(result).isInstanceOf(RouteResult.Matched.class);
        return ((RouteResult.Matched) result).route();
    }

    @Test
    void keepsNameGenerationAndHash() {
        SiteConfig site = SiteCompiler.compile(SiteYaml.load("""
                hosts: [example.com]
                routes:
                  - respond: {}
                """), "sha256:abc");

        assertThat(site.name()).isEqualTo("test");
        assertThat(site.generation()).isEqualTo(7);
        assertThat(site.hash()).isEqualTo("sha256:abc");
    }

    @Test
    void limitsDefaultTo10MiBodies32KiHeaders10sHeads60sBodyAndSendPauses512ConnectionsPerClient() {
        SiteConfig site = SiteYaml.compile("""
                hosts: [example.com]
                routes:
                  - backend: {service: b, port: 80}
                """);

        assertThat(site.limits()).isEqualTo(new SiteConfig.Limits(10L * 1024 * 1024, 32 * 1024, Duration.ofSeconds(10),
                Duration.ofSeconds(60), Duration.ofSeconds(60), 512, 256, 2048, 8192));
        assertThat(route(site, "/").maxRequestBodySize()).isEqualTo(10L * 1024 * 1024);
    }

    @ParameterizedTest(name = "[{index}] {0} / {1} / {2}")
    @CsvSource(delimiter = '|', textBlock = """
            100Mi   | 64Ki   | 500ms  | 104857600  | 65536  | PT0.5S
            1000    | 1024   | 1m30s  | 1000       | 1024   | PT1M30S
            1G      | 1k     | 24h    | 1000000000 | 1000   | PT24H
            1.5Ki   | 0.5Ki  | 1.5s   | 1536       | 512    | PT1.5S
            1Gi     | 1Mi    | 5m     | 1073741824 | 1048576| PT5M
            """)
    void parsesSizesAndDurationsOfLimits(String body, String headers, String timeout,
                                         long bodyBytes, int headerBytes, Duration duration) {
        SiteConfig site = SiteYaml.compile("""
                hosts: [example.com]
                limits: {maxRequestBodySize: "%s", maxRequestHeadersSize: "%s", requestHeaderTimeout: "%s"}
                routes:
                  - backend: {service: b, port: 80}
                """.formatted(body, headers, timeout));

        // The limits the spec left out take their defaults (60s, 60s, 512, 256, 2048, 8192).
        assertThat(site.limits()).isEqualTo(new SiteConfig.Limits(bodyBytes, headerBytes, duration,
                Duration.ofSeconds(60), Duration.ofSeconds(60), 512, 256, 2048, 8192));
        assertThat(route(site, "/").maxRequestBodySize()).isEqualTo(bodyBytes);
    }

    @Test
    void parsesTheSlowClientLimits() {
        SiteConfig site = SiteYaml.compile("""
                hosts: [example.com]
                limits: {requestBodyTimeout: 1500ms, sendTimeout: 2m, maxConnectionsPerClient: 7,
                         maxRequestsInFlightPerClient: 8, maxUpstreamConnectionsPerBackend: 9, maxUpstreamConnections: 10}
                routes:
                  - backend: {service: b, port: 80}
                """);

        assertThat(site.limits().requestBodyTimeout()).isEqualTo(Duration.ofMillis(1500));
        assertThat(site.limits().sendTimeout()).isEqualTo(Duration.ofMinutes(2));
        assertThat(site.limits().maxConnectionsPerClient()).isEqualTo(7);
        assertThat(site.limits().maxRequestsInFlightPerClient()).isEqualTo(8);
        assertThat(site.limits().maxUpstreamConnectionsPerBackend()).isEqualTo(9);
        assertThat(site.limits().maxUpstreamConnections()).isEqualTo(10);
    }

    @Test
    void escapedSlashesAreRejectedUnlessTheSiteKeepsThem() {
        String routes = """
                hosts: [example.com]
                %s
                routes:
                  - backend: {service: b, port: 80}
                """;

        assertThat(SiteYaml.compile(routes.formatted("")).paths()).isSameAs(PathNormaliser.REJECT_ESCAPED_SLASHES);
        assertThat(SiteYaml.compile(routes.formatted("paths: {escapedSlashes: Keep}")).paths())
                .isSameAs(PathNormaliser.KEEP_ESCAPED_SLASHES);
    }

    @Test
    void exactAndPrefixValuesAreComparedInNormalForm() {
        SiteConfig site = SiteYaml.compile("""
                hosts: [example.com]
                routes:
                  - match: {path: {type: Exact, value: /%7euser}}
                    respond: {status: 201}
                  - match: {path: {value: /a/./b//c/}}
                    respond: {status: 202}
                  - match: {path: {type: Exact, value: /x%2Fy}}
                    respond: {status: 203}
                  - respond: {status: 204}
                """);

        assertThat(route(site, "/~user").name()).isEqualTo("routes[0]");
        assertThat(route(site, "/a/b/c").name()).isEqualTo("routes[1]");
        assertThat(route(site, "/a/b/c/d").name()).isEqualTo("routes[1]");
        assertThat(route(site, "/x%2Fy").name()).as("refused as a value: kept, and no request path has it")
                .isEqualTo("routes[2]");
    }

    @Test
    void aRoutesMaxRequestBodySizeOverridesTheSites() {
        SiteConfig site = SiteYaml.compile("""
                hosts: [example.com]
                limits: {maxRequestBodySize: 100Mi}
                routes:
                  - match: {path: {value: /upload}}
                    maxRequestBodySize: 1Gi
                    backend: {service: b, port: 80}
                  - match: {path: {value: /api}}
                    maxRequestBodySize: "1000"
                    backend: {service: b, port: 80}
                  - backend: {service: b, port: 80}
                """);

        assertThat(route(site, "/upload").maxRequestBodySize()).isEqualTo(1L << 30);
        assertThat(route(site, "/api").maxRequestBodySize()).isEqualTo(1000);
        assertThat(route(site, "/").maxRequestBodySize()).isEqualTo(100L << 20);
        assertThat(site.limits().maxRequestBodySize()).isEqualTo(100L << 20);
    }

    @Test
    void aBackendRouteForwardsWithDefaultTimeoutsAndWebSockets() {
        CompiledRoute route = route(SiteYaml.compile("""
                hosts: [example.com]
                routes:
                  - backend: {service: vera-backend, port: 8000}
                """), "/");

        assertThat(route.name()).isEqualTo("routes[0]");
        RouteAction.Forward forward = (RouteAction.Forward) route.action();
        assertThat(forward.target()).isEqualTo(
                new RouteAction.UpstreamTarget("vera-backend", 8000, false, "vera-backend", false));
        assertThat(List.of(forward.connectTimeout(), forward.responseTimeout(), forward.idleTimeout()))
                .containsExactly(Duration.ofSeconds(5), Duration.ofSeconds(60), Duration.ofSeconds(300));
        assertThat(forward.websocket()).isTrue();
        // A name without operator endpoints or addresses: DNS, round robin, no retries but connect-level ones.
        assertThat(forward.cluster().dns()).isNotNull();
        assertThat(forward.cluster().policy()).isInstanceOf(dev.portico.runtime.balancing.RoundRobin.class);
        assertThat(forward.retries()).isEqualTo(dev.portico.runtime.retry.RetryPolicy.NONE);
    }

    @Test
    void timeoutsAndWebSocketsAreTakenFromTheRoute() {
        CompiledRoute route = route(SiteYaml.compile("""
                hosts: [example.com]
                routes:
                  - backend: {service: b, port: 80}
                    timeouts: {connect: 250ms, response: 2m, idle: 1h}
                    websocket: false
                """), "/");

        RouteAction.Forward forward = (RouteAction.Forward) route.action();
        assertThat(forward.connectTimeout()).isEqualTo(Duration.ofMillis(250));
        assertThat(forward.responseTimeout()).isEqualTo(Duration.ofMinutes(2));
        assertThat(forward.idleTimeout()).isEqualTo(Duration.ofHours(1));
        assertThat(forward.websocket()).isFalse();
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', textBlock = """
            {service: api, port: 443, protocol: HTTPS}                                                  | api | 443 | true  | api      | false | HTTP1
            {service: api, port: 443, protocol: HTTPS, tls: {serverName: api.internal}}                | api | 443 | true  | api.internal | false | HTTP1
            {service: api, port: 443, protocol: HTTPS, tls: {insecureSkipVerify: true}}                 | api | 443 | true  | api      | true  | HTTP1
            {service: api, port: 443, protocol: HTTPS, tls: {offerHttp2: true}}                         | api | 443 | true  | api      | false | NEGOTIATED
            {service: api, port: 80, protocol: HTTP}                                                    | api | 80  | false | api      | false | HTTP1
            {service: api, port: 80, protocol: HTTP, tls: {serverName: x.internal}}                     | api | 80  | false | api      | false | HTTP1
            {service: api, port: 8080, protocol: H2C}                                                   | api | 8080 | false | api     | false | HTTP2
            {service: api, port: 9090, protocol: GRPC}                                                  | api | 9090 | false | api     | false | HTTP2
            {service: api, port: 9443, protocol: GRPC, tls: {serverName: api.internal}}                 | api | 9443 | true  | api.internal | false | HTTP2
            {service: api, port: 9443, protocol: GRPC, tls: {insecureSkipVerify: true}}                 | api | 9443 | true  | api     | true  | HTTP2
            """)
    void backendProtocolAndTlsMakeTheUpstreamTarget(String backend, String host, int port, boolean tls,
                                                    String serverName, boolean insecure, RouteAction.Wire wire) {
        CompiledRoute route = route(SiteYaml.compile("""
                hosts: [example.com]
                routes:
                  - backend: %s
                """.formatted(backend)), "/");

        assertThat(((RouteAction.Forward) route.action()).target())
                .isEqualTo(new RouteAction.UpstreamTarget(host, port, tls, serverName, insecure, wire));
    }

    @Test
    void respondRoutesAnswerWithTheirStatusAndBody() {
        SiteConfig site = SiteYaml.compile("""
                hosts: [example.com]
                routes:
                  - match: {path: {value: /internal/}}
                    respond: {status: 404, body: "Not Found"}
                  - respond: {}
                """);

        assertThat(route(site, "/internal/x").action()).isEqualTo(new RouteAction.Respond(404, "Not Found"));
        assertThat(route(site, "/").action()).isEqualTo(new RouteAction.Respond(200, ""));
    }

    @Test
    void redirectRoutesKeepAbsentPartsAsNullAndDefaultTo302() {
        SiteConfig site = SiteYaml.compile("""
                hosts: [example.com]
                routes:
                  - match: {path: {type: Exact, value: /old}}
                    redirect: {scheme: https, hostname: New.Example.com, port: 8443, path: /new, statusCode: 301}
                  - redirect: {scheme: https}
                """);

        assertThat(route(site, "/old").action())
                .isEqualTo(new RouteAction.Redirect("https", "new.example.com", 8443, "/new", 301));
        assertThat(route(site, "/x").action()).isEqualTo(new RouteAction.Redirect("https", null, -1, null, 302));
    }

    @Test
    void routesAreNamedByTheirIndex() {
        SiteConfig site = SiteYaml.compile("""
                hosts: [example.com]
                routes:
                  - match: {path: {value: /a}}
                    respond: {}
                  - match: {path: {value: /b}}
                    respond: {}
                  - match: {path: {value: /c}}
                    respond: {}
                """);

        assertThat(route(site, "/a").name()).isEqualTo("routes[0]");
        assertThat(route(site, "/c").name()).isEqualTo("routes[2]");
        assertThat(route(site, "/c").order()).isEqualTo(2);
    }

    @Test
    void trustedProxiesBecomeTheTrustPolicy() {
        SiteConfig cidrs = SiteYaml.compile("""
                hosts: [example.com]
                trustedProxies: {cidrs: ["10.0.0.0/8", "fd00::/8"]}
                routes:
                  - respond: {}
                """);
        SiteConfig hops = SiteYaml.compile("""
                hosts: [example.com]
                trustedProxies: {hops: 2}
                routes:
                  - respond: {}
                """);
        SiteConfig nobody = SiteYaml.compile("""
                hosts: [example.com]
                routes:
                  - respond: {}
                """);

        assertThat(cidrs.trust().trustsPeer(IpAddresses.parse("10.1.1.1"))).isTrue();
        assertThat(cidrs.trust().trustsPeer(IpAddresses.parse("fd00::1"))).isTrue();
        assertThat(cidrs.trust().trustsPeer(IpAddresses.parse("203.0.113.1"))).isFalse();
        assertThat(hops.trust().hops()).isEqualTo(2);
        assertThat(hops.trust().trustsPeer(IpAddresses.parse("203.0.113.1"))).isTrue();
        assertThat(nobody.trust().trustsPeer(IpAddresses.parse("10.1.1.1"))).isFalse();
    }

    @Test
    void siteHostsAreMatchedCaseInsensitively() {
        SiteConfig site = SiteYaml.compile("""
                hosts: [Example.COM, "*.Vera.Example.com"]
                routes:
                  - respond: {}
                """);

        assertThat(site.router().servesHost("example.com")).isTrue();
        assertThat(site.router().servesHost("api.vera.example.com")).isTrue();
        assertThat(site.router().servesHost("vera.example.com")).isFalse();
    }
}
