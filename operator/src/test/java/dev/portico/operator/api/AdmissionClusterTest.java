package dev.portico.operator.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.portico.crds.InvalidProxySiteException;
import dev.portico.crds.ProxySiteLoader;
import dev.portico.crds.validation.ProxySiteValidator;
import dev.portico.crds.validation.Violation;
import dev.portico.operator.testbed.ClusterTest;
import dev.portico.operator.testbed.Install;
import dev.portico.operator.testbed.Testbed;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The CRD (structural schema and CEL rules, as a real API server compiles and prices them)
 * and the validator the runtime's {@code validate} and the operator share agree: every
 * invalid ProxySite of the table is refused by the API server with a message that names the
 * field, and by the validator with a violation at the same field.
 */
@ClusterTest
class AdmissionClusterTest {

    private static final String NS = "admission";
    private static final String VALID_ROUTE = "    - backend: {service: app, port: 8080}\n";

    @BeforeAll
    static void install(Testbed testbed) {
        Install.ensure(testbed);
        testbed.admin().namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata()
                .build()).serverSideApply();
    }

    /** Each row: what is wrong, the spec (YAML under {@code spec:}, indented 2), the field both must name. */
    static Stream<Arguments> invalidSites() {
        return Stream.of(
                row("no hosts", "  hosts: []\n  routes:\n" + VALID_ROUTE, "spec.hosts"),
                row("a host with a path", "  hosts: [\"a.example.com/x\"]\n  routes:\n" + VALID_ROUTE, "spec.hosts[0]"),
                row("a wildcard in the middle", "  hosts: [\"a.*.example.com\"]\n  routes:\n" + VALID_ROUTE, "spec.hosts[0]"),
                row("a host with a port", "  hosts: [\"a.example.com:8443\"]\n  routes:\n" + VALID_ROUTE, "spec.hosts[0]"),
                row("no routes", "  hosts: [a.example.com]\n  routes: []\n", "spec.routes"),
                row("negative replicas", "  hosts: [a.example.com]\n  replicas: -1\n  routes:\n" + VALID_ROUTE, "spec.replicas"),
                row("a port above 65535", site("    - backend: {service: app, port: 70000}\n"), "spec.routes[0].backend.port"),
                row("port zero", site("    - backend: {service: app, port: 0}\n"), "spec.routes[0].backend.port"),
                row("a backend without a service", site("    - backend: {port: 80}\n"), "spec.routes[0].backend.service"),
                row("an unknown backend protocol", site("    - backend: {service: app, port: 80, protocol: SPDY}\n"),
                        "spec.routes[0].backend.protocol"),
                row("backend and respond together", site("    - backend: {service: app, port: 80}\n      respond: {status: 404}\n"),
                        "spec.routes[0]"),
                row("a route with no action", site("    - match: {path: {value: /x}}\n"), "spec.routes[0]"),
                row("a path without a leading slash", site("    - match: {path: {value: api}}\n      backend: {service: app, port: 80}\n"),
                        "spec.routes[0].match.path.value"),
                row("an unknown path type", site("    - match: {path: {type: Glob, value: /x}}\n      backend: {service: app, port: 80}\n"),
                        "spec.routes[0].match.path.type"),
                row("a respond status of 99", site("    - respond: {status: 99}\n"), "spec.routes[0].respond.status"),
                row("a respond status of 600", site("    - respond: {status: 600}\n"), "spec.routes[0].respond.status"),
                row("a redirect status of 200", site("    - redirect: {statusCode: 200, path: /x}\n"), "spec.routes[0].redirect.statusCode"),
                row("a redirect to another scheme", site("    - redirect: {scheme: ftp}\n"), "spec.routes[0].redirect.scheme"),
                row("a body size with a bad unit", "  hosts: [a.example.com]\n  limits: {maxRequestBodySize: 10MB}\n  routes:\n" + VALID_ROUTE,
                        "spec.limits.maxRequestBodySize"),
                row("a duration without a unit", site("    - backend: {service: app, port: 80}\n      timeouts: {connect: \"5\"}\n"),
                        "spec.routes[0].timeouts.connect"),
                row("a TLS version of 1.1", "  hosts: [a.example.com]\n  tls: {certificates: [{secretName: a}], minVersion: \"1.1\"}\n  routes:\n" + VALID_ROUTE,
                        "spec.tls.minVersion"),
                row("TLS without certificates", "  hosts: [a.example.com]\n  tls: {certificates: []}\n  routes:\n" + VALID_ROUTE,
                        "spec.tls.certificates"),
                row("an ACME wildcard", "  hosts: [a.example.com, \"*.example.com\"]\n  tls: {acme: {email: o@example.com, "
                        + "secretName: a, hosts: [\"*.example.com\"]}}\n  routes:\n" + VALID_ROUTE, "spec.tls.acme.hosts"),
                row("an ACME directory over http", "  hosts: [a.example.com]\n  tls: {acme: {email: o@example.com, "
                        + "secretName: a, directory: \"http://ca.example.com/dir\"}}\n  routes:\n" + VALID_ROUTE,
                        "spec.tls.acme.directory"),
                row("an ACME contact that is no e-mail", "  hosts: [a.example.com]\n  tls: {acme: {email: ops, "
                        + "secretName: a}}\n  routes:\n" + VALID_ROUTE, "spec.tls.acme.email"),
                row("a secret name with capitals", "  hosts: [a.example.com]\n  tls: {certificates: [{secretName: My_Secret}]}\n  routes:\n" + VALID_ROUTE,
                        "spec.tls.certificates[0].secretName"),
                row("a negative HSTS max-age", "  hosts: [a.example.com]\n  tls: {certificates: [{secretName: a}], hsts: {maxAge: -1}}\n  routes:\n" + VALID_ROUTE,
                        "spec.tls.hsts.maxAge"),
                row("an unknown security preset", "  hosts: [a.example.com]\n  headers: {securityPreset: paranoid}\n  routes:\n" + VALID_ROUTE,
                        "spec.headers.securityPreset"),
                row("a header to remove with a space", "  hosts: [a.example.com]\n  headers: {response: {remove: [\"X Bad\"]}}\n  routes:\n" + VALID_ROUTE,
                        "spec.headers.response.remove[0]"),
                row("a header value with a line break", "  hosts: [a.example.com]\n  headers: {response: {add: {X-A: \"a\\nb\"}}}\n  routes:\n" + VALID_ROUTE,
                        "spec.headers.response.add"),
                row("zero requests per second", "  hosts: [a.example.com]\n  rateLimit: {requestsPerSecond: 0, burst: 1}\n  routes:\n" + VALID_ROUTE,
                        "spec.rateLimit.requestsPerSecond"),
                row("a trusted CIDR that is no CIDR", "  hosts: [a.example.com]\n  trustedProxies: {cidrs: [\"10.0.0.0/33\"]}\n  routes:\n" + VALID_ROUTE,
                        "spec.trustedProxies.cidrs[0]"),
                row("negative trusted hops", "  hosts: [a.example.com]\n  trustedProxies: {hops: -1}\n  routes:\n" + VALID_ROUTE,
                        "spec.trustedProxies.hops"),
                row("a denied address that is no CIDR", "  hosts: [a.example.com]\n  accessControl: {deny: [\"not-an-ip\"]}\n  routes:\n" + VALID_ROUTE,
                        "spec.accessControl.deny[0]"),
                row("CORS for any origin with credentials",
                        "  hosts: [a.example.com]\n  cors: {allowOrigins: [\"*\"], allowCredentials: true}\n  routes:\n"
                                + VALID_ROUTE, "spec.cors.allowOrigins"),
                row("CORS without origins", "  hosts: [a.example.com]\n  cors: {allowMethods: [PUT]}\n  routes:\n" + VALID_ROUTE,
                        "spec.cors.allowOrigins"),
                row("a CORS origin with a path",
                        "  hosts: [a.example.com]\n  cors: {allowOrigins: [\"https://a.example.com/app\"]}\n  routes:\n"
                                + VALID_ROUTE, "spec.cors.allowOrigins[0]"),
                row("exposing every header with credentials", "  hosts: [a.example.com]\n  cors: {allowOrigins: "
                        + "[\"https://a.example.com\"], exposeHeaders: [\"*\"], allowCredentials: true}\n  routes:\n"
                        + VALID_ROUTE, "spec.cors.exposeHeaders"),
                row("a route's rate limit without a rate",
                        site("    - backend: {service: app, port: 80}\n      rateLimit: {burst: 5}\n"),
                        "spec.routes[0].rateLimit.requestsPerSecond"),
                row("a route's CORS for any origin with credentials", site("    - backend: {service: app, port: 80}\n"
                        + "      cors: {allowOrigins: [\"*\"], allowCredentials: true}\n"), "spec.routes[0].cors.allowOrigins"),
                row("a route's denied address that is no CIDR",
                        site("    - backend: {service: app, port: 80}\n      accessControl: {deny: [\"x\"]}\n"),
                        "spec.routes[0].accessControl.deny[0]"),
                row("a route host the site does not serve",
                        site("    - match: {hosts: [b.example.com]}\n      backend: {service: app, port: 80}\n"),
                "spec.routes"));
    }

    private static String site(String routes) {
        return "  hosts: [a.example.com]\n  routes:\n" + routes;
    }

    private static Arguments row(String what, String spec, String field) {
        return Arguments.of(what, spec, field);
    }

    @Test
    void theTableIsLargeEnough() {
        assertThat(invalidSites().count()).isGreaterThanOrEqualTo(25);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidSites")
    void refusedByTheApiServerAndTheValidatorAtTheSameField(String what, String spec, String field, Testbed testbed) {
        String yaml = "apiVersion: portico.dev/v1alpha1\nkind: ProxySite\nmetadata: {name: bad, namespace: " + NS
                + "}\nspec:\n" + spec;

        GenericKubernetesResource resource = Serialization.unmarshal(yaml, GenericKubernetesResource.class);
        KubernetesClientException refused = catchThrowableOfType(KubernetesClientException.class,
                () -> testbed.admin().genericKubernetesResources("portico.dev/v1alpha1", "ProxySite")
                        .inNamespace(NS).resource(resource).dryRun().create());
        assertThat(refused).as("the API server refuses %s", what).isNotNull();
        assertThat(refused.getCode()).isEqualTo(422);
        assertThat(refused.getStatus().getMessage()).as("the API server names the field").contains(field);

        List<Violation> violations = validate(yaml);
        assertThat(violations).as("the validator refuses %s", what).isNotEmpty();
        // Where the API server can only name a list (a CEL rule sees no index), the validator may name an entry in it.
        assertThat(violations).as("the validator names %s", field).anyMatch(v -> v.path().equals(field)
                || v.path().startsWith(field + "[") || v.path().startsWith(field + "."));
    }

    /** What {@code portico validate} says: the loader's refusals (unknown values, wrong types), else the validator's. */
    private static List<Violation> validate(String yaml) {
        try {
            return ProxySiteValidator.validate(ProxySiteLoader.parse(yaml));
        } catch (InvalidProxySiteException e) {
            return e.violations();
        }
    }
}
