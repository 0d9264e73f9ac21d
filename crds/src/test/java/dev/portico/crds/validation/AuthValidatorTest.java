package dev.portico.crds.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.portico.crds.ProxySiteDefaults;
import dev.portico.crds.ProxySiteLoader;
import dev.portico.crds.v1alpha1.Auth;
import dev.portico.crds.v1alpha1.ProxySite;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** spec.auth and routes[].auth: what the shared validator accepts and refuses, and the defaults written out. */
class AuthValidatorTest {

    private static final String HEADER = "apiVersion: portico.dev/v1alpha1\nkind: ProxySite\nmetadata: {name: test}\n";
    private static final String FORWARD = "forward: {backend: {service: authentik-server.authentik, port: 9000}, "
            + "path: /outpost.goauthentik.io/auth/traefik, responseHeaders: [X-authentik-username, Remote-User], "
            + "timeout: 2s}";

    private static ProxySite site(String siteAuth, String routeAuth) {
        return ProxySiteLoader.parse(HEADER + "spec: {hosts: [a.example.com], "
                + (siteAuth == null ? "" : "auth: {" + siteAuth + "}, ")
                + "routes: [{backend: {service: app, port: 80}"
                + (routeAuth == null ? "" : ", auth: {" + routeAuth + "}") + "}]}\n");
    }

    static Stream<Arguments> valid() {
        return Stream.of(
                arguments(FORWARD, null),
                arguments("basic: {secretName: admins, realm: 'Team Vera'}", null),
                arguments(FORWARD, "enabled: false"),
                arguments(FORWARD, "enabled: true"),
                arguments(null, "basic: {secretName: admins}"),
                arguments("basic: {secretName: admins}", FORWARD),
                arguments("enabled: false", null),
                arguments(null, "enabled: false"));
    }

    @ParameterizedTest
    @MethodSource("valid")
    void accepts(String siteAuth, String routeAuth) {
        assertThat(ProxySiteValidator.validate(site(siteAuth, routeAuth))).isEmpty();
    }

    static Stream<Arguments> invalid() {
        return Stream.of(
                arguments(FORWARD + ", basic: {secretName: a}", null, "spec.auth", "set at most one of forward, basic"),
                arguments("enabled: false, basic: {secretName: a}", null, "spec.auth.enabled",
                        "false turns auth off; remove forward and basic, or enabled"),
                arguments(null, "enabled: true", "spec.routes[0].auth.enabled",
                        "true needs spec.auth, or forward or basic on the route"),
                arguments("forward: {path: /auth}", null, "spec.auth.forward.backend", "is required"),
                arguments("forward: {backend: {service: 'http://auth', port: 80}}", null,
                        "spec.auth.forward.backend.service", "must be a DNS name"),
                arguments("forward: {backend: {service: auth}}", null, "spec.auth.forward.backend.port", "is required"),
                arguments("forward: {backend: {service: auth, port: 80, protocol: GRPC}}", null,
                        "spec.auth.forward.backend.protocol", "must be HTTP or HTTPS"),
                arguments(null, "forward: {backend: {service: auth, port: 80, protocol: H2C}}",
                        "spec.routes[0].auth.forward.backend.protocol", "must be HTTP or HTTPS"),
                arguments("forward: {backend: {service: auth, port: 443, protocol: HTTPS, tls: {offerHttp2: true}}}",
                        null, "spec.auth.forward.backend.tls.offerHttp2", "must be false"),
                arguments(null, "forward: {backend: {service: auth, port: 80}, path: auth}",
                        "spec.routes[0].auth.forward.path", "must start with /"),
                arguments("forward: {backend: {service: auth, port: 80}, path: '/a b'}", null,
                        "spec.auth.forward.path", "must not contain spaces"),
                arguments("forward: {backend: {service: auth, port: 80}, path: '/a#b'}", null,
                        "spec.auth.forward.path", "must not contain #"),
                arguments("forward: {backend: {service: auth, port: 80}, responseHeaders: ['X User']}", null,
                        "spec.auth.forward.responseHeaders[0]", "must be a header name"),
                arguments("forward: {backend: {service: auth, port: 80}, responseHeaders: [Remote-User, Content-Length]}",
                        null, "spec.auth.forward.responseHeaders[1]", "the proxy sets Content-Length itself"),
                arguments("forward: {backend: {service: auth, port: 80}, responseHeaders: [host]}",
                        null, "spec.auth.forward.responseHeaders[0]", "the proxy sets host itself"),
                arguments("forward: {backend: {service: auth, port: 80}, timeout: 0s}", null,
                        "spec.auth.forward.timeout", "must be greater than 0"),
                arguments("forward: {backend: {service: auth, port: 80}, timeout: 5 seconds}", null,
                        "spec.auth.forward.timeout", "is not a duration"),
                arguments("basic: {realm: x}", null, "spec.auth.basic.secretName", "is required"),
                arguments(null, "basic: {secretName: Admins_Htpasswd}", "spec.routes[0].auth.basic.secretName",
                        "must be a Secret name"),
                arguments("basic: {secretName: a, realm: 'say \"hi\"'}", null, "spec.auth.basic.realm",
                        "without double quotes"));
    }

    @ParameterizedTest
    @MethodSource("invalid")
    void refusesNamingTheField(String siteAuth, String routeAuth, String path, String message) {
        assertThat(ProxySiteValidator.validate(site(siteAuth, routeAuth)))
                .anySatisfy(v -> {
                    assertThat(v.path()).isEqualTo(path);
                    assertThat(v.message()).contains(message);
                });
    }

    @Test
    void defaultsAreWrittenOutAndAbsenceStaysAbsent() {
        var spec = ProxySiteDefaults.normalise(site("forward: {backend: {service: auth, port: 9000}}",
                "basic: {secretName: admins}").spec());
        Auth.ForwardAuth forward = spec.auth().forward();
        assertThat(forward.path()).isEqualTo("/");
        assertThat(forward.timeout()).isEqualTo("5s");
        assertThat(forward.responseHeaders()).isEmpty();
        assertThat(forward.backend().protocol()).isNotNull();
        assertThat(spec.routes().get(0).auth().basic().realm()).isEqualTo("Restricted");

        var plain = ProxySiteDefaults.normalise(site(null, null).spec());
        assertThat(plain.auth()).isNull();
        assertThat(plain.routes().get(0).auth()).isNull();
        assertThat(ProxySiteDefaults.normalise(spec)).isEqualTo(spec);
    }
}
