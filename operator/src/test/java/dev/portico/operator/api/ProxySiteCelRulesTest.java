package dev.portico.operator.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.cel.common.CelValidationException;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import dev.portico.crds.ProxySiteLoader;
import dev.portico.crds.validation.ProxySiteValidator;
import dev.portico.crds.validation.Violation;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Evaluates the CRD's x-kubernetes-validations rules with CEL for Java, the way the API server
 * does (defaults applied first, each rule with {@code self} bound to the value where it sits),
 * and holds each rule to the ProxySiteValidator check it mirrors: a spec the API server would
 * refuse for a CEL rule is one the validator refuses for the same reason, and the other way
 * round. What this cannot check is the API server's cost estimate; the maxItems and maxLength
 * that keep it in budget are in the schema (see ProxySiteSpec).
 */
class ProxySiteCelRulesTest {

    private static final Path GENERATED = Path.of(System.getProperty("basedir", "."))
            .resolve("target/classes/META-INF/fabric8/proxysites.portico.dev-v1.yml");
    private static final Path FULL_EXAMPLE = Path.of(System.getProperty("basedir", "."))
            .resolve("../crds/src/test/resources/full-example.yaml").normalize();

    private static final ObjectMapper YAML = new YAMLMapper();
    private static final CelCompiler COMPILER =
            CelCompilerFactory.standardCelCompilerBuilder()
                    .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
                    .addVar("self", SimpleType.DYN)
                    .build();
    private static final CelRuntime RUNTIME = CelRuntimeFactory.standardCelRuntimeBuilder().build();
    private static final Map<String, CelRuntime.Program> PROGRAMS = new ConcurrentHashMap<>();

    private static final String VALID_SPEC = """
            hosts: [a.example.com, b.example.com]
            routes:
              - backend: {service: app, port: 8080}
            """;

    @Test
    void everyRuleCompiles() throws IOException {
        List<String> rules = new ArrayList<>();
        collectRules(spec(), rules);
        assertThat(rules).hasSize(41);
        rules.forEach(ProxySiteCelRulesTest::program);
    }

    @Test
    void theFullExampleOfTheApiPassesEveryRule() throws IOException {
        assertThat(celViolations(YAML.readTree(FULL_EXAMPLE.toFile()).path("spec"))).isEmpty();
    }

    @Test
    void aMinimalSitePassesEveryRule() throws IOException {
        assertThat(celViolations(YAML.readTree(VALID_SPEC))).isEmpty();
        assertThat(validatorMessages(VALID_SPEC)).isEmpty();
    }

    /** Each row: a spec, the CEL message the API server gives, the validator's message for it. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            backend and respond | routes: [{backend: {service: app, port: 80}, respond: {status: 204}}] \
                | set exactly one of backend, respond, redirect | set exactly one of backend, respond, redirect
            no action | routes: [{match: {path: {value: /x}}}] \
                | set exactly one of backend, respond, redirect | set exactly one of backend, respond, redirect
            all three | routes: [{backend: {service: app, port: 80}, respond: {}, redirect: {path: /}}] \
                | set exactly one of backend, respond, redirect | set exactly one of backend, respond, redirect
            route host not a site host | routes: [{match: {hosts: [c.example.com]}, backend: {service: app, port: 80}}] \
                | every entry of a route's match.hosts must be one of spec.hosts | "c.example.com" must be one of spec.hosts
            route host a site host | routes: [{match: {hosts: [b.example.com]}, backend: {service: app, port: 80}}] ||
            cidrs and hops | trustedProxies: {cidrs: [10.0.0.0/8], hops: 1} \
                | set cidrs or hops, not both | set cidrs or hops, not both
            cidrs and zero hops | trustedProxies: {cidrs: [10.0.0.0/8], hops: 0} ||
            empty cidrs and hops | trustedProxies: {cidrs: [], hops: 2} ||
            proxyProtocol without trustedProxies | proxyProtocol: true \
                | proxyProtocol needs trustedProxies.cidrs: the load balancers that may send the header \
                | spec.proxyProtocol: needs spec.trustedProxies.cidrs: the load balancers that may send the header
            proxyProtocol with hops | {proxyProtocol: true, trustedProxies: {hops: 1}} \
                | proxyProtocol needs trustedProxies.cidrs: the load balancers that may send the header \
                | hops cannot say who they are
            proxyProtocol with cidrs | {proxyProtocol: true, trustedProxies: {cidrs: [10.0.0.0/8]}} ||
            proxyProtocol off without cidrs | proxyProtocol: false ||
            rewrite with respond | routes: [{respond: {status: 200}, rewrite: {replacePrefixMatch: /}}] \
                | rewrite is only allowed with backend and a PathPrefix match | only allowed with backend and a PathPrefix match
            rewrite with Exact | routes: [{match: {path: {type: Exact, value: /a}}, backend: {service: app, port: 80}, rewrite: {replacePrefixMatch: /}}] \
                | rewrite is only allowed with backend and a PathPrefix match | only allowed with backend and a PathPrefix match
            rewrite with default PathPrefix | routes: [{match: {path: {value: /a}}, backend: {service: app, port: 80}, rewrite: {replacePrefixMatch: /}}] ||
            regex without value | routes: [{match: {path: {type: RegularExpression}}, backend: {service: app, port: 80}}] \
                | value is required with type RegularExpression | is required with type RegularExpression
            regex not starting with slash | routes: [{match: {path: {type: RegularExpression, value: ^.*php$}}, backend: {service: app, port: 80}}] ||
            prefix without slash | routes: [{match: {path: {value: api}}, backend: {service: app, port: 80}}] \
                | value must start with / (unless type is RegularExpression) | must start with /
            redirect 304 | routes: [{redirect: {statusCode: 304}}] \
                | statusCode must be one of 301, 302, 303, 307, 308 | must be one of 301, 302, 303, 307, 308
            redirect 308 | routes: [{redirect: {statusCode: 308}}] ||
            traffic policy on ClusterIP | service: {type: ClusterIP, externalTrafficPolicy: Local} \
                | externalTrafficPolicy needs type NodePort or LoadBalancer | needs type NodePort or LoadBalancer
            traffic policy on NodePort | service: {type: NodePort, externalTrafficPolicy: Local} ||
            node ports on ClusterIP | service: {type: ClusterIP, nodePorts: {http: 30080}} \
                | nodePorts needs type NodePort or LoadBalancer | needs type NodePort or LoadBalancer
            class on NodePort | service: {type: NodePort, loadBalancerClass: example.com/lb} \
                | loadBalancerClass needs type LoadBalancer | needs type LoadBalancer
            source ranges on NodePort | service: {type: NodePort, loadBalancerSourceRanges: [10.0.0.0/8]} \
                | loadBalancerSourceRanges needs type LoadBalancer | needs type LoadBalancer
            every field on LoadBalancer | service: {type: LoadBalancer, externalTrafficPolicy: Local, loadBalancerClass: example.com/lb, loadBalancerSourceRanges: [10.0.0.0/8], nodePorts: {http: 30080}} ||
            tls without certificate or acme | tls: {minVersion: "1.3"} \
                | name at least one certificate in certificates, or set acme | at least one certificate is required (or spec.tls.acme)
            tls with acme only | tls: {acme: {email: o@example.com, secretName: a-tls}} ||
            acme wildcard | {hosts: [a.example.com, "*.example.com"], tls: {acme: {email: o@example.com, secretName: a, hosts: ["*.example.com"]}}} \
                | acme.hosts cannot hold wildcards: the CA proves a wildcard only over DNS-01, which Portico does not do (serve it from a cert-manager Secret in certificates) \
                | wildcard: the CA can only prove a wildcard over DNS-01
            https node port without TLS | service: {type: NodePort, nodePorts: {https: 30443}} \
                | service.nodePorts.https needs spec.tls (without TLS the Service has no https port) | needs spec.tls
            cors for any origin with credentials | cors: {allowOrigins: ["*"], allowCredentials: true} \
                | "*" cannot be combined with allowCredentials: true (browsers refuse it); list the origins \
                | "*" cannot be combined with allowCredentials: true (browsers refuse it); list the origins
            cors for any origin without credentials | cors: {allowOrigins: ["*"], allowCredentials: false} ||
            cors without origins | cors: {allowMethods: [PUT]} \
                | allowOrigins needs at least one origin (or set enabled: false) | needs at least one origin (or set enabled: false)
            cors switched off without origins | cors: {enabled: false} ||
            offerHttp2 with H2C | routes: [{backend: {service: app, port: 80, protocol: H2C, tls: {offerHttp2: true}}}] \
                | tls.offerHttp2 is only allowed with protocol HTTPS (H2C and GRPC speak HTTP/2 anyway) | only with protocol HTTPS
            offerHttp2 with HTTPS | routes: [{backend: {service: app, port: 443, protocol: HTTPS, tls: {offerHttp2: true}}}] ||
            consistent hash without its key | routes: [{backend: {service: app, port: 80, loadBalancer: {type: ConsistentHash}}}] \
                | consistentHash is required with type ConsistentHash and only allowed with it | is required with type ConsistentHash
            hash key on round robin | routes: [{backend: {service: app, port: 80, loadBalancer: {consistentHash: {type: SourceIP}}}}] \
                | consistentHash is required with type ConsistentHash and only allowed with it | is only allowed with type ConsistentHash
            header hash without header | routes: [{backend: {service: app, port: 80, loadBalancer: {type: ConsistentHash, consistentHash: {type: Header}}}}] \
                | header is required with type Header | is required with type Header
            cookie hash without cookie | routes: [{backend: {service: app, port: 80, loadBalancer: {type: ConsistentHash, consistentHash: {type: Cookie}}}}] \
                | cookie is required with type Cookie | is required with type Cookie
            cookie hash | routes: [{backend: {service: app, port: 80, loadBalancer: {type: ConsistentHash, consistentHash: {type: Cookie, cookie: {name: sticky}}}}}] ||
            retries on respond | routes: [{respond: {status: 200}, retries: {attempts: 2}}] \
                | retries is only allowed with backend | is only allowed with backend
            retries on an unknown condition | routes: [{backend: {service: app, port: 80}, retries: {retryOn: [reset, "500"]}}] \
                | retryOn: each condition must be one of connect-failure, reset, 502, 503, 504 | must be one of connect-failure, reset, 502, 503, 504
            retries | routes: [{backend: {service: app, port: 80}, retries: {attempts: 3, retryOn: [connect-failure, "503"]}}] ||
            exposing every header with credentials | cors: {allowOrigins: [https://a.example.com], exposeHeaders: ["*"], allowCredentials: true} \
                | "*" cannot be combined with allowCredentials: true (browsers read it as a header named *); list the headers \
                | "*" cannot be combined with allowCredentials: true (browsers read it as a header named *); list the headers
            route cors for any origin with credentials | routes: [{backend: {service: app, port: 80}, cors: {allowOrigins: ["*"], allowCredentials: true}}] \
                | "*" cannot be combined with allowCredentials: true (browsers refuse it); list the origins \
                | "*" cannot be combined with allowCredentials: true (browsers refuse it); list the origins
            rate limit without a rate | rateLimit: {burst: 3} \
                | requestsPerSecond is required (or set enabled: false) | is required (or set enabled: false)
            rate limit switched off | rateLimit: {enabled: false} ||
            route rate limit without a rate | routes: [{backend: {service: app, port: 80}, rateLimit: {burst: 3}}] \
                | requestsPerSecond is required (or set enabled: false) | is required (or set enabled: false)
            route rate limit switched off | routes: [{backend: {service: app, port: 80}, rateLimit: {enabled: false}, accessControl: {}}] ||
            forward and basic | auth: {forward: {backend: {service: auth, port: 9000}}, basic: {secretName: a}} \
                | set at most one of forward, basic | set at most one of forward, basic
            route forward and basic | routes: [{backend: {service: app, port: 80}, auth: {forward: {backend: {service: auth, port: 9000}}, basic: {secretName: a}}}] \
                | set at most one of forward, basic | set at most one of forward, basic
            auth off with basic | auth: {enabled: false, basic: {secretName: a}} \
                | enabled: false turns auth off; remove forward and basic, or enabled \
                | false turns auth off; remove forward and basic, or enabled
            route opted out | {auth: {basic: {secretName: a}}, routes: [{backend: {service: app, port: 80}, auth: {enabled: false}}]} ||
            """)
    void eachRuleRefusesWhatTheValidatorRefuses(String name, String change, String celMessage, String validatorMessage)
            throws IOException {
        ObjectNode spec = (ObjectNode) YAML.readTree(VALID_SPEC);
        spec.setAll((ObjectNode) YAML.readTree(change));
        String specYaml = YAML.writeValueAsString(spec);

        List<String> cel = celViolations(spec);
        List<String> validator = validatorMessages(specYaml);

        if (celMessage == null) {
            assertThat(cel).as("CEL").isEmpty();
            assertThat(validator).as("validator").isEmpty();
        } else {
            assertThat(cel).as("CEL").containsExactly(celMessage);
            assertThat(validator).as("validator").anySatisfy(message -> assertThat(message).contains(validatorMessage));
        }
    }

    /**
     * The other difference: without a type, spec.service's type is the ProxyClass's, which
     * admission cannot see, so the CEL rules let a type-bound field through; the operator then
     * validates the site with its class's defaults merged in, and the runtime outside a cluster
     * (no class: ClusterIP) refuses it.
     */
    @Test
    void aTypeBoundFieldWithoutATypeIsLeftToTheClass() throws IOException {
        ObjectNode spec = (ObjectNode) YAML.readTree(VALID_SPEC);
        spec.setAll((ObjectNode) YAML.readTree("service: {externalTrafficPolicy: Local}"));

        assertThat(celViolations(spec)).as("CEL").isEmpty();
        assertThat(validatorMessages(YAML.writeValueAsString(spec))).as("validator, no class")
                .anySatisfy(message -> assertThat(message).contains("needs type NodePort or LoadBalancer"));
    }

    /**
     * The one known difference: the validator compares hosts case-insensitively, the CEL rule as
     * written, because lower-casing both lists would cost 256 x 64 x 64 string copies and exceed the
     * API server's per-rule budget. A cluster therefore refuses a route host that differs from the
     * site host only in case; the runtime outside a cluster accepts it.
     */
    @Test
    void routeHostsDifferingOnlyInCaseAreRefusedByTheApiServerOnly() throws IOException {
        String spec = """
                hosts: [A.example.com]
                routes:
                  - match: {hosts: [a.example.com]}
                    backend: {service: app, port: 8080}
                """;
        assertThat(celViolations(YAML.readTree(spec)))
                .containsExactly("every entry of a route's match.hosts must be one of spec.hosts");
        assertThat(validatorMessages(spec)).isEmpty();
    }

    // ---- evaluation ----

    private static JsonNode spec() throws IOException {
        return YAML.readTree(GENERATED.toFile()).path("spec").path("versions").path(0)
                .path("schema").path("openAPIV3Schema").path("properties").path("spec");
    }

    private static List<String> celViolations(JsonNode specValue) throws IOException {
        JsonNode value = specValue.deepCopy();
        JsonNode schema = spec();
        applyDefaults(value, schema);
        List<String> messages = new ArrayList<>();
        evaluate(value, schema, messages);
        return messages;
    }

    /** Structural defaulting as the API server does it: only inside objects that are present. */
    private static void applyDefaults(JsonNode value, JsonNode schema) {
        if (value.isObject()) {
            ObjectNode object = (ObjectNode) value;
            schema.path("properties").properties().forEach(property -> {
                if (!object.has(property.getKey()) && property.getValue().has("default")) {
                    object.set(property.getKey(), property.getValue().get("default").deepCopy());
                }
                if (object.has(property.getKey())) {
                    applyDefaults(object.get(property.getKey()), property.getValue());
                }
            });
        } else if (value.isArray()) {
            value.forEach(item -> applyDefaults(item, schema.path("items")));
        }
    }

    private static void evaluate(JsonNode value, JsonNode schema, List<String> messages) {
        for (JsonNode rule : schema.path("x-kubernetes-validations")) {
            Object result;
            try {
                result = program(rule.path("rule").asText()).eval(Map.of("self", toCel(value)));
            } catch (CelEvaluationException e) {
                throw new AssertionError("rule " + rule.path("rule").asText() + " failed on " + value, e);
            }
            if (!Boolean.TRUE.equals(result)) {
                messages.add(rule.path("message").asText());
            }
        }
        if (value.isObject()) {
            value.properties().forEach(field -> {
                JsonNode fieldSchema = schema.path("properties").get(field.getKey());
                if (fieldSchema != null) {
                    evaluate(field.getValue(), fieldSchema, messages);
                }
            });
        } else if (value.isArray()) {
            value.forEach(item -> evaluate(item, schema.path("items"), messages));
        }
    }

    private static CelRuntime.Program program(String rule) {
        return PROGRAMS.computeIfAbsent(rule, text -> {
            try {
                return RUNTIME.createProgram(COMPILER.compile(text).getAst());
            } catch (CelValidationException | CelEvaluationException e) {
                throw new AssertionError("rule does not compile: " + text, e);
            }
        });
    }

    /** JSON as CEL sees it: integers are int (long), objects maps, arrays lists. */
    private static Object toCel(JsonNode node) {
        if (node.isObject()) {
            Map<String, Object> map = new LinkedHashMap<>();
            node.properties().forEach(field -> map.put(field.getKey(), toCel(field.getValue())));
            return map;
        }
        if (node.isArray()) {
            List<Object> list = new ArrayList<>();
            node.forEach(item -> list.add(toCel(item)));
            return list;
        }
        if (node.isIntegralNumber()) {
            return node.asLong();
        }
        if (node.isNumber()) {
            return node.asDouble();
        }
        if (node.isBoolean()) {
            return node.asBoolean();
        }
        return node.asText();
    }

    private static void collectRules(JsonNode schema, List<String> into) {
        schema.path("x-kubernetes-validations").forEach(rule -> into.add(rule.path("rule").asText()));
        schema.path("properties").forEach(property -> collectRules(property, into));
        if (schema.has("items")) {
            collectRules(schema.get("items"), into);
        }
    }

    private static List<String> validatorMessages(String specYaml) {
        String site = "apiVersion: portico.dev/v1alpha1\nkind: ProxySite\nmetadata: {name: s}\nspec:\n"
                + specYaml.replaceFirst("^---\n", "").indent(2);
        return ProxySiteValidator.validate(ProxySiteLoader.parse(site)).stream().map(Violation::toString).toList();
    }
}
