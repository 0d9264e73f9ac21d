package dev.portico.crds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.portico.crds.v1alpha1.AcmeChallenge;
import dev.portico.crds.v1alpha1.BackendProtocol;
import dev.portico.crds.v1alpha1.EscapedSlashes;
import dev.portico.crds.v1alpha1.HeaderModifier;
import dev.portico.crds.v1alpha1.PathMatchType;
import dev.portico.crds.v1alpha1.ProxySiteSpec;
import dev.portico.crds.v1alpha1.Route;
import dev.portico.crds.v1alpha1.SecurityPreset;
import dev.portico.crds.v1alpha1.Tls;
import dev.portico.crds.v1alpha1.TlsVersion;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ProxySiteDefaultsTest {

    private static final String HEADER = "apiVersion: portico.dev/v1alpha1\nkind: ProxySite\nmetadata: {name: test}\n";
    private static final HeaderModifier NO_EDITS = new HeaderModifier(Map.of(), Map.of(), List.of());

    /** A minimal spec with one route of each kind and blocks whose every field is left out. */
    private static final String MINIMAL = """
            spec:
              hosts: [Vera.Example.com, '*.vera.example.com']
              tls: {certificates: [{secretName: vera-tls}], hsts: {}}
              limits: {maxRequestBodySize: 100Mi}
              rateLimit: {requestsPerSecond: 50}
              accessControl: {}
              cors: {allowOrigins: ['HTTPS://App.Example.com']}
              routes:
                - backend: {service: app, port: 80}
                - respond: {}
                - redirect: {}
                - backend: {service: secure, port: 443, protocol: HTTPS}
                - backend: {service: '10.0.0.1', port: 443, protocol: HTTPS}
            """;

    private static ProxySiteSpec normalised(String yaml) {
        return ProxySiteDefaults.normalise(ProxySiteLoader.parse(HEADER + yaml).spec());
    }

    private static Route route(ProxySiteSpec spec, int index) {
        return spec.routes().get(index);
    }

    static Stream<Arguments> defaults() {
        return Stream.of(
                arguments("hosts lower-cased", f(ProxySiteSpec::hosts),
                        List.of("vera.example.com", "*.vera.example.com")),
                arguments("replicas", f(ProxySiteSpec::replicas), 2),
                arguments("tls.minVersion", f(s -> s.tls().minVersion()), TlsVersion.TLS_1_2),
                arguments("tls.httpRedirect", f(s -> s.tls().httpRedirect()), true),
                arguments("certificate hosts = all spec.hosts", f(s -> s.tls().certificates().get(0).hosts()),
                        List.of("vera.example.com", "*.vera.example.com")),
                arguments("hsts.maxAge", f(s -> s.tls().hsts().maxAge()), 63_072_000L),
                arguments("hsts.includeSubDomains", f(s -> s.tls().hsts().includeSubDomains()), false),
                arguments("hsts.preload", f(s -> s.tls().hsts().preload()), false),
                arguments("http2", f(ProxySiteSpec::http2), true),
                arguments("trustedProxies.cidrs", f(s -> s.trustedProxies().cidrs()), List.of()),
                arguments("trustedProxies.hops", f(s -> s.trustedProxies().hops()), 0),
                arguments("proxyProtocol", f(ProxySiteSpec::proxyProtocol), false),
                arguments("limits.maxRequestBodySize kept", f(s -> s.limits().maxRequestBodySize()), "100Mi"),
                arguments("limits.maxRequestHeadersSize", f(s -> s.limits().maxRequestHeadersSize()), "32Ki"),
                arguments("limits.requestHeaderTimeout", f(s -> s.limits().requestHeaderTimeout()), "10s"),
                arguments("limits.requestBodyTimeout", f(s -> s.limits().requestBodyTimeout()), "60s"),
                arguments("limits.sendTimeout", f(s -> s.limits().sendTimeout()), "60s"),
                arguments("limits.maxConnectionsPerClient", f(s -> s.limits().maxConnectionsPerClient()), 512),
                arguments("limits.maxRequestsInFlightPerClient", f(s -> s.limits().maxRequestsInFlightPerClient()), 256),
                arguments("limits.maxUpstreamConnectionsPerBackend",
                        f(s -> s.limits().maxUpstreamConnectionsPerBackend()), 2048),
                arguments("limits.maxUpstreamConnections", f(s -> s.limits().maxUpstreamConnections()), 8192),
                arguments("paths.escapedSlashes", f(s -> s.paths().escapedSlashes()), EscapedSlashes.Reject),
                arguments("headers.securityPreset", f(s -> s.headers().securityPreset()), SecurityPreset.NONE),
                arguments("headers.request", f(s -> s.headers().request()), NO_EDITS),
                arguments("headers.response", f(s -> s.headers().response()), NO_EDITS),
                arguments("headers.underscoresInHeaders", f(s -> s.headers().underscoresInHeaders()), false),
                arguments("compression.enabled", f(s -> s.compression().enabled()), false),
                arguments("compression.minSize", f(s -> s.compression().minSize()), "1Ki"),
                arguments("accessControl.allow", f(s -> s.accessControl().allow()), List.of()),
                arguments("accessControl.deny", f(s -> s.accessControl().deny()), List.of()),
                arguments("rateLimit.burst = requestsPerSecond", f(s -> s.rateLimit().burst()), 50),
                arguments("rateLimit.enabled", f(s -> s.rateLimit().enabled()), true),
                arguments("cors.allowOrigins lower-cased", f(s -> s.cors().allowOrigins()),
                        List.of("https://app.example.com")),
                arguments("cors.allowMethods = the safelisted ones", f(s -> s.cors().allowMethods()),
                        List.of("GET", "HEAD", "POST")),
                arguments("cors.allowHeaders", f(s -> s.cors().allowHeaders()), List.of()),
                arguments("cors.exposeHeaders", f(s -> s.cors().exposeHeaders()), List.of()),
                arguments("cors.allowCredentials", f(s -> s.cors().allowCredentials()), false),
                arguments("cors.maxAge", f(s -> s.cors().maxAge()), 5),
                arguments("cors.enabled", f(s -> s.cors().enabled()), true),
                arguments("route accessControl stays absent (the site's)", f(s -> route(s, 0).accessControl()), null),
                arguments("route rateLimit stays absent (the site's)", f(s -> route(s, 0).rateLimit()), null),
                arguments("route cors stays absent (the site's)", f(s -> route(s, 0).cors()), null),
                arguments("match.path.type", f(s -> route(s, 0).match().path().type()), PathMatchType.PathPrefix),
                arguments("match.path.value", f(s -> route(s, 0).match().path().value()), "/"),
                arguments("match.hosts", f(s -> route(s, 0).match().hosts()), List.of()),
                arguments("match.headers", f(s -> route(s, 0).match().headers()), List.of()),
                arguments("backend.protocol", f(s -> route(s, 0).backend().protocol()), BackendProtocol.HTTP),
                arguments("backend.tls absent for HTTP", f(s -> route(s, 0).backend().tls()), null),
                arguments("timeouts.connect", f(s -> route(s, 0).timeouts().connect()), "5s"),
                arguments("timeouts.response", f(s -> route(s, 0).timeouts().response()), "60s"),
                arguments("timeouts.idle", f(s -> route(s, 0).timeouts().idle()), "300s"),
                arguments("route maxRequestBodySize = the site's", f(s -> route(s, 0).maxRequestBodySize()), "100Mi"),
                arguments("route headers.request", f(s -> route(s, 0).headers().request()), NO_EDITS),
                arguments("route headers.response", f(s -> route(s, 0).headers().response()), NO_EDITS),
                arguments("websocket", f(s -> route(s, 0).websocket()), true),
                arguments("rewrite stays absent", f(s -> route(s, 0).rewrite()), null),
                arguments("respond.status", f(s -> route(s, 1).respond().status()), 200),
                arguments("respond.body", f(s -> route(s, 1).respond().body()), ""),
                arguments("redirect.statusCode", f(s -> route(s, 2).redirect().statusCode()), 302),
                arguments("redirect.hostname kept from the request", f(s -> route(s, 2).redirect().hostname()), null),
                arguments("HTTPS backend insecureSkipVerify", f(s -> route(s, 3).backend().tls().insecureSkipVerify()), false),
                arguments("HTTPS backend serverName = service", f(s -> route(s, 3).backend().tls().serverName()), "secure"),
                arguments("HTTPS backend by IP has no serverName", f(s -> route(s, 4).backend().tls().serverName()), null));
    }

    private static Function<ProxySiteSpec, Object> f(Function<ProxySiteSpec, Object> field) {
        return field;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("defaults")
    void writesOutTheDefault(String name, Function<ProxySiteSpec, Object> field, Object expected) {
        assertThat(field.apply(normalised(MINIMAL))).isEqualTo(expected);
    }

    @Test
    void keepsBlocksWhoseAbsenceMeansSomethingAbsent() {
        ProxySiteSpec spec = normalised("spec: {hosts: [a.com], routes: [{backend: {service: app, port: 80}}]}");

        assertThat(spec.tls()).isNull();
        assertThat(spec.accessControl()).isNull();
        assertThat(spec.rateLimit()).isNull();
        assertThat(spec.cors()).isNull();
        assertThat(spec.limits().maxRequestBodySize()).isEqualTo(ProxySiteDefaults.MAX_REQUEST_BODY_SIZE);
        assertThat(route(spec, 0).maxRequestBodySize()).isEqualTo("10Mi");
        assertThat(spec.compression().enabled()).isFalse();
    }

    @Test
    void keepsWhatTheUserWrote() {
        ProxySiteSpec spec = normalised("""
                spec:
                  hosts: [a.com]
                  replicas: 5
                  http2: false
                  proxyProtocol: true
                  trustedProxies: {cidrs: [10.0.0.0/8]}
                  paths: {escapedSlashes: Keep}
                  tls: {certificates: [{secretName: t, hosts: [A.com]}], minVersion: "1.3", httpRedirect: false}
                  rateLimit: {requestsPerSecond: 5, burst: 7}
                  routes:
                    - match: {path: {type: Exact, value: /x}, hosts: [A.COM]}
                      backend: {service: app, port: 80, protocol: HTTPS, tls: {insecureSkipVerify: true, serverName: other}}
                      timeouts: {idle: 1h}
                      websocket: false
                      maxRequestBodySize: 1Mi
                """);

        assertThat(spec.replicas()).isEqualTo(5);
        assertThat(spec.http2()).isFalse();
        assertThat(spec.proxyProtocol()).isTrue();
        assertThat(spec.paths().escapedSlashes()).isEqualTo(EscapedSlashes.Keep);
        assertThat(spec.tls().minVersion()).isEqualTo(TlsVersion.TLS_1_3);
        assertThat(spec.tls().httpRedirect()).isFalse();
        assertThat(spec.tls().certificates().get(0).hosts()).containsExactly("a.com");
        assertThat(spec.rateLimit().burst()).isEqualTo(7);
        Route route = route(spec, 0);
        assertThat(route.match().path().type()).isEqualTo(PathMatchType.Exact);
        assertThat(route.match().hosts()).containsExactly("a.com");
        assertThat(route.backend().tls().insecureSkipVerify()).isTrue();
        assertThat(route.backend().tls().serverName()).isEqualTo("other");
        assertThat(route.timeouts().idle()).isEqualTo("1h");
        assertThat(route.timeouts().connect()).isEqualTo("5s");
        assertThat(route.websocket()).isFalse();
        assertThat(route.maxRequestBodySize()).isEqualTo("1Mi");
    }

    @Test
    void acmeAddsItsCertificateForTheHostsWithoutWildcards() {
        ProxySiteSpec spec = normalised("""
                spec:
                  hosts: [A.com, '*.b.com', c.com]
                  tls: {certificates: [{secretName: wild, hosts: ['*.b.com']}], acme: {email: o@a.com, secretName: le}}
                  routes: []
                """);

        Tls.Acme acme = spec.tls().acme();
        assertThat(acme.directory()).isEqualTo(Tls.Acme.LETS_ENCRYPT);
        assertThat(acme.challenge()).isEqualTo(AcmeChallenge.HTTP_01);
        assertThat(acme.hosts()).containsExactly("a.com", "c.com");
        assertThat(acme.accountSecretName()).isEqualTo("portico-acme-account");
        assertThat(spec.tls().certificates()).containsExactly(
                new Tls.Certificate("wild", List.of("*.b.com")), new Tls.Certificate("le", List.of("a.com", "c.com")));
        assertThat(ProxySiteDefaults.normalise(spec)).isEqualTo(spec);
        assertThat(ProxySiteDefaults.runtimeView(spec).tls().acme()).isNull();
        assertThat(ProxySiteDefaults.runtimeView(spec).tls().certificates()).isEqualTo(spec.tls().certificates());
    }

    @Test
    void acmeCertificateListedByTheUserKeepsItsHosts() {
        ProxySiteSpec spec = normalised("""
                spec:
                  hosts: [a.com, c.com]
                  tls: {certificates: [{secretName: le, hosts: [c.com]}], acme: {email: o@a.com, secretName: le}}
                  routes: []
                """);

        assertThat(spec.tls().certificates()).containsExactly(new Tls.Certificate("le", List.of("c.com")));
        assertThat(spec.tls().acme().hosts()).containsExactly("a.com", "c.com");
    }

    @Test
    void keepsTheOrderInWhichHeadersWereWritten() {
        ProxySiteSpec spec = normalised("spec: {hosts: [a.com], headers: {response: {set: {X-B: b, X-A: a}}}, routes: []}");

        assertThat(spec.headers().response().set().keySet()).containsExactly("X-B", "X-A");
    }

    @Test
    void isIdempotent() {
        ProxySiteSpec minimal = normalised(MINIMAL);
        ProxySiteSpec full = ProxySiteDefaults.normalise(ProxySiteLoader.parse(Path.of("src/test/resources/full-example.yaml")).spec());

        assertThat(ProxySiteDefaults.normalise(minimal)).isEqualTo(minimal);
        assertThat(ProxySiteDefaults.normalise(full)).isEqualTo(full);
    }

    @Test
    void doesNotChangeTheSpecItWasGiven() {
        ProxySiteSpec original = ProxySiteLoader.parse(HEADER + MINIMAL).spec();
        ProxySiteSpec copy = ProxySiteLoader.parse(HEADER + MINIMAL).spec();

        ProxySiteDefaults.normalise(original);

        assertThat(original).isEqualTo(copy);
    }
}
