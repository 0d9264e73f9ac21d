package dev.portico.crds.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.portico.crds.ProxySiteLoader;
import dev.portico.crds.v1alpha1.ProxySite;
import java.util.Collections;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ProxySiteValidatorTest {

    private static final String HEADER = "apiVersion: portico.dev/v1alpha1\nkind: ProxySite\nmetadata: {name: test}\n";
    private static final String HOSTS = "hosts: [a.example.com, '*.example.com']";
    private static final String ROUTE = "{backend: {service: app, port: 80}}";

    /** A valid spec plus {@code extra} site-level fields. */
    private static String siteWith(String extra) {
        return "{" + HOSTS + ", routes: [" + ROUTE + "], " + extra + "}";
    }

    /** A valid spec whose only route is {@code route}. */
    private static String routeIs(String route) {
        return "{" + HOSTS + ", routes: [" + route + "]}";
    }

    private static List<Violation> validate(String spec) {
        return ProxySiteValidator.validate(ProxySiteLoader.parse(HEADER + "spec: " + spec + "\n"));
    }

    static Stream<String> validSpecs() {
        return Stream.of(
                siteWith("replicas: 0"),
                "{hosts: ['*'], routes: [" + ROUTE + "]}",
                "{hosts: [A.Example.COM, localhost, '*.b.example.com'], routes: [" + ROUTE + "]}",
                siteWith("tls: {certificates: [{secretName: a-tls.v2, hosts: [A.example.com]}], hsts: {maxAge: 0}}"),
                siteWith("tls: {certificates: [{secretName: a-tls}]}"),
                siteWith("tls: {acme: {email: ops@example.com, secretName: a-tls}}"),
                siteWith("tls: {certificates: [{secretName: a-tls, hosts: [a.example.com]}], acme: {email: o.p+s@mail.example.co, "
                        + "secretName: a-tls, hosts: [A.example.com], directory: 'https://localhost:14000/dir', "
                        + "challenge: HTTP-01, accountSecretName: acme-key}}"),
                siteWith("trustedProxies: {cidrs: ['10.0.0.0/8', '192.168.1.1', 'fd00::/8', '::1', '::ffff:10.0.0.1/128'], hops: 0}"),
                siteWith("trustedProxies: {hops: 2}"),
                siteWith("proxyProtocol: true, trustedProxies: {cidrs: ['10.0.0.0/8']}"),
                siteWith("proxyProtocol: false, trustedProxies: {hops: 1}"),
                siteWith("proxyProtocol: false"),
                siteWith("limits: {maxRequestBodySize: 1, maxRequestHeadersSize: 64Ki, requestHeaderTimeout: 1m30s}"),
                siteWith("limits: {requestBodyTimeout: 500ms, sendTimeout: 2m, maxConnectionsPerClient: 1}"),
                siteWith("limits: {maxConnectionsPerClient: 1000000}"),
                siteWith("limits: {maxRequestsInFlightPerClient: 1, maxUpstreamConnectionsPerBackend: 1, maxUpstreamConnections: 1000000}"),
                siteWith("headers: {securityPreset: strict, request: {set: {X-A: ''}, add: {\"X-B!#$%&'*+-.^_`|~\": 'v v'}, remove: [Server]}}"),
                siteWith("compression: {enabled: true, minSize: 0}"),
                siteWith("accessControl: {allow: ['0.0.0.0/0'], deny: ['2001:db8::/32']}"),
                siteWith("rateLimit: {requestsPerSecond: 1}"),
                siteWith("rateLimit: {requestsPerSecond: 10, burst: 1}"),
                siteWith("rateLimit: {enabled: false}"),
                siteWith("cors: {allowOrigins: ['*']}"),
                siteWith("cors: {allowOrigins: ['https://app.example.com', 'HTTPS://*.Example.com:8443', "
                        + "'http://localhost:3000', 'http://10.0.0.1', 'http://[::1]:8080', 'capacitor://localhost'], "
                        + "allowMethods: [PUT, DELETE, '*'], allowHeaders: [Content-Type, '*'], exposeHeaders: [X-Total], "
                        + "allowCredentials: true, maxAge: 86400}"),
                siteWith("cors: {allowOrigins: ['*'], exposeHeaders: ['*'], allowCredentials: false, maxAge: 0}"),
                siteWith("cors: {enabled: false}"),
                routeIs("{backend: {service: app, port: 80}, accessControl: {}, rateLimit: {enabled: false}, "
                        + "cors: {enabled: false}}"),
                routeIs("{backend: {service: app, port: 80}, accessControl: {deny: ['10.0.0.0/8']}, "
                        + "rateLimit: {requestsPerSecond: 3}, cors: {allowOrigins: ['https://a.example.com']}}"),
                siteWith("service: {type: ClusterIP, annotations: {team: a, 'example.com/x-y_z.1': ''}}"),
                siteWith("service: {type: NodePort, externalTrafficPolicy: Local, nodePorts: {http: 30080}}"),
                siteWith("service: {type: LoadBalancer, loadBalancerClass: service.k8s.aws/nlb, "
                        + "loadBalancerSourceRanges: ['203.0.113.0/24', '2001:db8::/32'], nodePorts: {http: 30080}}"),
                siteWith("tls: {certificates: [{secretName: a-tls}]}, service: {type: LoadBalancer, nodePorts: {https: 30443}}"),
                "{" + HOSTS + ", routes: [" + String.join(", ", Collections.nCopies(256, ROUTE)) + "]}",
                routeIs("{backend: {service: app, port: 443, protocol: HTTPS, tls: {offerHttp2: true}}}"),
                routeIs("{backend: {service: app, port: 8080, protocol: H2C}}"),
                routeIs("{backend: {service: app, port: 9090, protocol: GRPC}}"),
                routeIs("{backend: {service: app, port: 9443, protocol: GRPC, tls: {serverName: app.example.com}}}"),
                routeIs("{backend: {service: app, port: 9090, protocol: GRPC, tls: {offerHttp2: false}}}"),
                routeIs("{respond: {status: 599}}"),
                routeIs("{respond: {status: 200, body: ''}}"),
                routeIs("{redirect: {scheme: http, hostname: x.org, port: 65535, path: /, statusCode: 308}}"),
                routeIs("{redirect: {hostname: '10.0.0.1'}}"),
                routeIs("{match: {path: {type: Exact, value: '/a%20b'}}, " + ROUTE.substring(1)),
                routeIs("{match: {path: {value: /api}}, " + ROUTE.substring(1)),
                routeIs("{match: {path: {type: RegularExpression, value: '^/v[0-9]+/.*'}}, " + ROUTE.substring(1)),
                routeIs("{match: {hosts: [A.EXAMPLE.com, '*.example.com'], headers: [{name: X-Canary, value: ''}]}, " + ROUTE.substring(1)),
                routeIs("{backend: {service: '10.1.2.3', port: 1}}"),
                routeIs("{backend: {service: 'fd00::1', port: 443, protocol: HTTPS, tls: {insecureSkipVerify: true, serverName: b.svc}}}"),
                routeIs("{backend: {service: app.ns.svc.cluster.local, port: 80}, rewrite: {replacePrefixMatch: /v2}, match: {path: {type: PathPrefix, value: /v1}}}"),
                routeIs("{backend: {service: app, port: 80}, rewrite: {replacePrefixMatch: /}}"),
                routeIs("{backend: {service: app, port: 80}, timeouts: {connect: 1ms, response: 1h, idle: 24h}}"),
                routeIs("{backend: {service: app, port: 80}, maxRequestBodySize: 0}"),
                routeIs("{backend: {service: app, port: 80}, headers: {response: {set: {Cache-Control: no-store}}}}"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("validSpecs")
    void acceptsValidSpecs(String spec) {
        assertThat(validate(spec)).isEmpty();
    }

    static Stream<Arguments> invalidSpecs() {
        String manyHosts = IntStream.range(0, 65).mapToObj(i -> "h" + i + ".example.com").collect(Collectors.joining(", "));
        String manyRoutes = String.join(", ", Collections.nCopies(257, ROUTE));
        return Stream.of(
                // hosts
                arguments("{routes: [" + ROUTE + "]}", "spec.hosts", "at least one host"),
                arguments("{hosts: [], routes: [" + ROUTE + "]}", "spec.hosts", "at least one host"),
                arguments("{hosts: [" + manyHosts + "], routes: [" + ROUTE + "]}", "spec.hosts", "at most 64"),
                arguments("{hosts: [a.example.com, 'b.example.com:8080'], routes: [" + ROUTE + "]}", "spec.hosts[1]", "port"),
                arguments("{hosts: ['a.*.example.com'], routes: [" + ROUTE + "]}", "spec.hosts[0]", "whole first label"),
                arguments("{hosts: ['*example.com'], routes: [" + ROUTE + "]}", "spec.hosts[0]", "whole first label"),
                arguments("{hosts: ['a_b.example.com'], routes: [" + ROUTE + "]}", "spec.hosts[0]", "must be a DNS name"),
                arguments("{hosts: ['-a.example.com'], routes: [" + ROUTE + "]}", "spec.hosts[0]", "must be a DNS name"),
                arguments("{hosts: ['a.example.com.'], routes: [" + ROUTE + "]}", "spec.hosts[0]", "dot"),
                arguments("{hosts: [a.example.com, A.Example.com], routes: [" + ROUTE + "]}", "spec.hosts[1]", "duplicates spec.hosts[0]"),
                arguments("{hosts: [~], routes: [" + ROUTE + "]}", "spec.hosts[0]", "is required"),
                // replicas
                arguments(siteWith("replicas: -1"), "spec.replicas", "0 or more"),
                arguments(siteWith("proxyClassName: Edge_Class"), "spec.proxyClassName", "must be a ProxyClass's name"),
                // tls
                arguments(siteWith("tls: {minVersion: '1.3'}"), "spec.tls.certificates", "at least one certificate"),
                arguments(siteWith("tls: {certificates: []}"), "spec.tls.certificates", "at least one certificate"),
                arguments(siteWith("tls: {certificates: [{hosts: [a.example.com]}]}"), "spec.tls.certificates[0].secretName", "is required"),
                arguments(siteWith("tls: {certificates: [{secretName: Vera_TLS}]}"), "spec.tls.certificates[0].secretName", "Secret name"),
                arguments(siteWith("tls: {certificates: [{secretName: a, hosts: [a.example.com, b.example.com]}]}"),
                        "spec.tls.certificates[0].hosts[1]", "must be one of spec.hosts"),
                arguments(siteWith("tls: {certificates: [{secretName: a}], hsts: {maxAge: -1}}"), "spec.tls.hsts.maxAge", "0 or more"),
                // tls.acme
                arguments(siteWith("tls: {acme: {secretName: a}}"), "spec.tls.acme.email", "is required"),
                arguments(siteWith("tls: {acme: {email: 'ops', secretName: a}}"), "spec.tls.acme.email", "e-mail address"),
                arguments(siteWith("tls: {acme: {email: 'ops@localhost', secretName: a}}"), "spec.tls.acme.email", "e-mail address"),
                arguments(siteWith("tls: {acme: {email: o@example.com}}"), "spec.tls.acme.secretName", "is required"),
                arguments(siteWith("tls: {acme: {email: o@example.com, secretName: A_b}}"), "spec.tls.acme.secretName", "Secret name"),
                arguments(siteWith("tls: {acme: {email: o@example.com, secretName: a, accountSecretName: a}}"),
                        "spec.tls.acme.accountSecretName", "must differ"),
                arguments(siteWith("tls: {acme: {email: o@example.com, secretName: a, directory: 'http://localhost:14000/dir'}}"),
                        "spec.tls.acme.directory", "https:// URL"),
                arguments(siteWith("tls: {acme: {email: o@example.com, secretName: a, directory: 'https://a b/'}}"),
                        "spec.tls.acme.directory", "not a URL"),
                arguments(siteWith("tls: {acme: {email: o@example.com, secretName: a, hosts: ['*.example.com']}}"),
                        "spec.tls.acme.hosts[0]", "wildcard: the CA can only prove a wildcard over DNS-01"),
                arguments(siteWith("tls: {acme: {email: o@example.com, secretName: a, hosts: [b.example.com]}}"),
                        "spec.tls.acme.hosts[0]", "must be one of spec.hosts"),
                arguments(siteWith("tls: {acme: {email: o@example.com, secretName: a, hosts: []}}"),
                        "spec.tls.acme.hosts", "at least one host"),
                arguments("{hosts: ['*.example.com'], routes: [" + ROUTE + "], tls: {acme: {email: o@example.com, secretName: a}}}",
                        "spec.tls.acme.hosts", "only wildcards"),
                // trustedProxies
                arguments(siteWith("trustedProxies: {cidrs: ['10.0.0.0/8', '10.0.0/8']}"), "spec.trustedProxies.cidrs[1]", "CIDR"),
                arguments(siteWith("trustedProxies: {cidrs: ['10.0.0.0/33']}"), "spec.trustedProxies.cidrs[0]", "0..32"),
                arguments(siteWith("trustedProxies: {cidrs: ['fd00::/129']}"), "spec.trustedProxies.cidrs[0]", "0..128"),
                arguments(siteWith("trustedProxies: {cidrs: ['010.0.0.1']}"), "spec.trustedProxies.cidrs[0]", "CIDR"),
                arguments(siteWith("trustedProxies: {cidrs: ['fd00::1%eth0']}"), "spec.trustedProxies.cidrs[0]", "CIDR"),
                arguments(siteWith("trustedProxies: {cidrs: ['localhost']}"), "spec.trustedProxies.cidrs[0]", "CIDR"),
                arguments(siteWith("trustedProxies: {hops: -1}"), "spec.trustedProxies.hops", "0 or more"),
                arguments(siteWith("trustedProxies: {cidrs: ['10.0.0.0/8'], hops: 1}"), "spec.trustedProxies", "set cidrs or hops, not both"),
                // proxyProtocol: only the peers named in cidrs may send the header
                arguments(siteWith("proxyProtocol: true"), "spec.proxyProtocol", "needs spec.trustedProxies.cidrs"),
                arguments(siteWith("proxyProtocol: true, trustedProxies: {cidrs: []}"), "spec.proxyProtocol",
                        "needs spec.trustedProxies.cidrs: the load balancers that may send the header"),
                arguments(siteWith("proxyProtocol: true, trustedProxies: {hops: 1}"), "spec.proxyProtocol",
                        "hops cannot say who they are"),
                // limits
                arguments(siteWith("limits: {maxRequestBodySize: 10 MB}"), "spec.limits.maxRequestBodySize", "\"10 MB\" is not a size"),
                arguments(siteWith("limits: {maxRequestBodySize: 0}"), "spec.limits.maxRequestBodySize", "greater than 0"),
                arguments(siteWith("limits: {maxRequestHeadersSize: 0Ki}"), "spec.limits.maxRequestHeadersSize", "greater than 0"),
                arguments(siteWith("limits: {requestHeaderTimeout: 10 sec}"), "spec.limits.requestHeaderTimeout", "\"10 sec\" is not a duration"),
                arguments(siteWith("limits: {requestHeaderTimeout: 0s}"), "spec.limits.requestHeaderTimeout", "greater than 0"),
                arguments(siteWith("limits: {requestBodyTimeout: 0}"), "spec.limits.requestBodyTimeout", "greater than 0"),
                arguments(siteWith("limits: {requestBodyTimeout: 1 minute}"), "spec.limits.requestBodyTimeout", "is not a duration"),
                arguments(siteWith("limits: {sendTimeout: 0ms}"), "spec.limits.sendTimeout", "greater than 0"),
                arguments(siteWith("limits: {sendTimeout: 60}"), "spec.limits.sendTimeout", "is not a duration"),
                arguments(siteWith("limits: {maxConnectionsPerClient: 0}"), "spec.limits.maxConnectionsPerClient", "must be 1..1000000"),
                arguments(siteWith("limits: {maxConnectionsPerClient: 1000001}"), "spec.limits.maxConnectionsPerClient", "must be 1..1000000"),
                arguments(siteWith("limits: {maxRequestsInFlightPerClient: 0}"), "spec.limits.maxRequestsInFlightPerClient", "must be 1..1000000"),
                arguments(siteWith("limits: {maxUpstreamConnectionsPerBackend: 0}"), "spec.limits.maxUpstreamConnectionsPerBackend", "must be 1..1000000"),
                arguments(siteWith("limits: {maxUpstreamConnections: 1000001}"), "spec.limits.maxUpstreamConnections", "must be 1..1000000"),
                // headers
                arguments(siteWith("headers: {request: {set: {'X A': v}}}"), "spec.headers.request.set[\"X A\"]", "header name"),
                arguments(siteWith("headers: {response: {add: {X-A: \"a\\r\\nSet-Cookie: x\"}}}"), "spec.headers.response.add[\"X-A\"]", "CR, LF or NUL"),
                arguments(siteWith("headers: {response: {set: {X-A: \"a\\0\"}}}"), "spec.headers.response.set[\"X-A\"]", "CR, LF or NUL"),
                // Found by RequestHeadFuzzTest#headerRules: Netty refuses these when the rule runs.
                arguments(siteWith("headers: {request: {set: {X-A: \"\\x0e\"}}}"), "spec.headers.request.set[\"X-A\"]", "control character"),
                arguments(siteWith("headers: {response: {add: {X-A: \"a\\x7f\"}}}"), "spec.headers.response.add[\"X-A\"]", "control character"),
                arguments(siteWith("headers: {response: {set: {Trailer: \" x\"}}}"), "spec.headers.response.set[\"Trailer\"]", "start with a space"),
                arguments(siteWith("headers: {response: {set: {X-A: ~}}}"), "spec.headers.response.set[\"X-A\"]", "is required"),
                arguments(siteWith("headers: {response: {remove: [Server, 'X:Y']}}"), "spec.headers.response.remove[1]", "header name"),
                // compression, access control, rate limit
                arguments(siteWith("compression: {minSize: 1KB}"), "spec.compression.minSize", "is not a size"),
                arguments(siteWith("accessControl: {allow: ['1.2.3.4/8'], deny: ['300.0.0.0/8']}"), "spec.accessControl.deny[0]", "CIDR"),
                arguments(siteWith("accessControl: {allow: ['example.com']}"), "spec.accessControl.allow[0]", "CIDR"),
                arguments(siteWith("rateLimit: {burst: 5}"), "spec.rateLimit.requestsPerSecond", "is required"),
                arguments(siteWith("rateLimit: {requestsPerSecond: 0}"), "spec.rateLimit.requestsPerSecond", "1 or more"),
                arguments(siteWith("rateLimit: {requestsPerSecond: 5, burst: 0}"), "spec.rateLimit.burst", "1 or more"),
                arguments(siteWith("rateLimit: {enabled: true}"), "spec.rateLimit.requestsPerSecond", "enabled: false"),
                // cors
                arguments(siteWith("cors: {}"), "spec.cors.allowOrigins", "at least one origin"),
                arguments(siteWith("cors: {allowOrigins: []}"), "spec.cors.allowOrigins", "at least one origin"),
                arguments(siteWith("cors: {allowOrigins: ['*'], allowCredentials: true}"), "spec.cors.allowOrigins[0]",
                        "\"*\" cannot be combined with allowCredentials"),
                arguments(siteWith("cors: {allowOrigins: [a.example.com]}"), "spec.cors.allowOrigins[0]",
                        "scheme://host[:port]"),
                arguments(siteWith("cors: {allowOrigins: ['*.example.com']}"), "spec.cors.allowOrigins[0]",
                        "scheme://host[:port]"),
                arguments(siteWith("cors: {allowOrigins: ['https://a.example.com/']}"), "spec.cors.allowOrigins[0]",
                        "without a path"),
                arguments(siteWith("cors: {allowOrigins: ['https://a.*.example.com']}"), "spec.cors.allowOrigins[0]",
                        "scheme://host[:port]"),
                arguments(siteWith("cors: {allowOrigins: ['https://a.example.com:0']}"), "spec.cors.allowOrigins[0]",
                        "scheme://host[:port]"),
                arguments(siteWith("cors: {allowOrigins: ['https://a.example.com:65536']}"), "spec.cors.allowOrigins[0]",
                        "scheme://host[:port]"),
                arguments(siteWith("cors: {allowOrigins: ['null']}"), "spec.cors.allowOrigins[0]", "scheme://host[:port]"),
                arguments(siteWith("cors: {allowOrigins: ['https://a.com', 'HTTPS://A.com']}"), "spec.cors.allowOrigins[1]",
                        "duplicates allowOrigins[0]"),
                arguments(siteWith("cors: {allowOrigins: ['https://a.com'], allowMethods: ['GET POST']}"),
                        "spec.cors.allowMethods[0]", "header name"),
                arguments(siteWith("cors: {allowOrigins: ['https://a.com'], allowHeaders: ['X:Y']}"),
                        "spec.cors.allowHeaders[0]", "header name"),
                arguments(siteWith("cors: {allowOrigins: ['https://a.com'], exposeHeaders: ['*'], allowCredentials: true}"),
                        "spec.cors.exposeHeaders[0]", "\"*\" cannot be combined with allowCredentials"),
                arguments(siteWith("cors: {allowOrigins: ['https://a.com'], maxAge: -1}"), "spec.cors.maxAge", "0..86400"),
                arguments(siteWith("cors: {allowOrigins: ['https://a.com'], maxAge: 86401}"), "spec.cors.maxAge", "0..86400"),
                // per-route policies: the same checks under the route's path
                arguments(routeIs("{backend: {service: app, port: 80}, accessControl: {allow: ['example.com']}}"),
                        "spec.routes[0].accessControl.allow[0]", "CIDR"),
                arguments(routeIs("{backend: {service: app, port: 80}, rateLimit: {burst: 2}}"),
                        "spec.routes[0].rateLimit.requestsPerSecond", "is required"),
                arguments(routeIs("{backend: {service: app, port: 80}, rateLimit: {requestsPerSecond: 0}}"),
                        "spec.routes[0].rateLimit.requestsPerSecond", "1 or more"),
                arguments(routeIs("{backend: {service: app, port: 80}, cors: {allowOrigins: ['*'], allowCredentials: true}}"),
                        "spec.routes[0].cors.allowOrigins[0]", "\"*\" cannot be combined with allowCredentials"),
                // routes
                arguments("{" + HOSTS + "}", "spec.routes", "at least one route"),
                arguments("{" + HOSTS + ", routes: []}", "spec.routes", "at least one route"),
                arguments("{" + HOSTS + ", routes: [" + manyRoutes + "]}", "spec.routes", "at most 256"),
                arguments("{" + HOSTS + ", routes: [" + ROUTE + ", ~]}", "spec.routes[1]", "is required"),
                arguments("{" + HOSTS + ", routes: [" + ROUTE + ", {match: {path: {value: /x}}}]}", "spec.routes[1]",
                        "set exactly one of backend, respond, redirect"),
                arguments(routeIs("{backend: {service: app, port: 80}, respond: {status: 404}}"), "spec.routes[0]",
                        "set exactly one of backend, respond, redirect"),
                // match
                arguments(routeIs("{match: {path: {value: api}}, " + ROUTE.substring(1)), "spec.routes[0].match.path.value", "must start with /"),
                arguments(routeIs("{match: {path: {type: Exact, value: '/a?b=1'}}, " + ROUTE.substring(1)), "spec.routes[0].match.path.value", "? or #"),
                arguments(routeIs("{match: {path: {value: '/a#top'}}, " + ROUTE.substring(1)), "spec.routes[0].match.path.value", "? or #"),
                arguments(routeIs("{match: {path: {value: '/a b'}}, " + ROUTE.substring(1)), "spec.routes[0].match.path.value", "spaces"),
                arguments(routeIs("{match: {path: {type: RegularExpression, value: '/api/(v1'}}, " + ROUTE.substring(1)),
                        "spec.routes[0].match.path.value", "not a valid regular expression: Unclosed group"),
                arguments(routeIs("{match: {path: {type: RegularExpression}}, " + ROUTE.substring(1)), "spec.routes[0].match.path.value", "is required"),
                arguments(routeIs("{match: {hosts: [a.example.com, b.example.com]}, " + ROUTE.substring(1)), "spec.routes[0].match.hosts[1]",
                        "\"b.example.com\" must be one of spec.hosts"),
                arguments(routeIs("{match: {headers: [{name: 'X Canary', value: '1'}]}, " + ROUTE.substring(1)), "spec.routes[0].match.headers[0].name",
                        "header name"),
                arguments(routeIs("{match: {headers: [{name: X-Canary}]}, " + ROUTE.substring(1)), "spec.routes[0].match.headers[0].value", "is required"),
                arguments(routeIs("{match: {headers: [{name: X-Canary, value: \"a\\nb\"}]}, " + ROUTE.substring(1)),
                        "spec.routes[0].match.headers[0].value", "CR, LF or NUL"),
                // backend
                arguments(routeIs("{backend: {port: 80}}"), "spec.routes[0].backend.service", "is required"),
                arguments(routeIs("{backend: {service: 'http://app', port: 80}}"), "spec.routes[0].backend.service", "DNS name"),
                arguments(routeIs("{backend: {service: 'app:80', port: 80}}"), "spec.routes[0].backend.service", "DNS name"),
                arguments(routeIs("{backend: {service: app}}"), "spec.routes[0].backend.port", "is required"),
                arguments(routeIs("{backend: {service: app, port: 0}}"), "spec.routes[0].backend.port", "must be 1..65535"),
                arguments(routeIs("{backend: {service: app, port: 65536}}"), "spec.routes[0].backend.port", "must be 1..65535"),
                arguments(routeIs("{backend: {service: app, port: 443, protocol: HTTPS, tls: {serverName: 'a b'}}}"),
                        "spec.routes[0].backend.tls.serverName", "DNS name"),
                // rewrite
                arguments(routeIs("{respond: {status: 200}, rewrite: {replacePrefixMatch: /}}"), "spec.routes[0].rewrite",
                        "only allowed with backend and a PathPrefix match"),
                arguments(routeIs("{match: {path: {type: Exact, value: /a}}, backend: {service: app, port: 80}, rewrite: {replacePrefixMatch: /}}"),
                        "spec.routes[0].rewrite", "only allowed with backend and a PathPrefix match"),
                arguments(routeIs("{backend: {service: app, port: 80}, rewrite: {replacePrefixMatch: v2}}"),
                        "spec.routes[0].rewrite.replacePrefixMatch", "must start with /"),
                arguments(routeIs("{backend: {service: app, port: 80}, rewrite: {}}"), "spec.routes[0].rewrite.replacePrefixMatch", "must start with /"),
                // timeouts, limits, headers of a route
                arguments(routeIs("{backend: {service: app, port: 80}, timeouts: {connect: 5}}"), "spec.routes[0].timeouts.connect", "is not a duration"),
                arguments(routeIs("{backend: {service: app, port: 80}, timeouts: {response: 0}}"), "spec.routes[0].timeouts.response", "greater than 0"),
                arguments(routeIs("{backend: {service: app, port: 80}, timeouts: {idle: 1d}}"), "spec.routes[0].timeouts.idle", "is not a duration"),
                arguments(routeIs("{backend: {service: app, port: 80}, maxRequestBodySize: 1.5}"), "spec.routes[0].maxRequestBodySize", "whole number of bytes"),
                arguments(routeIs("{backend: {service: app, port: 80}, headers: {request: {remove: ['']}}}"),
                        "spec.routes[0].headers.request.remove[0]", "header name"),
                // service
                arguments(siteWith("service: {externalTrafficPolicy: Local}"), "spec.service.externalTrafficPolicy",
                        "needs type NodePort or LoadBalancer"),
                arguments(siteWith("service: {type: NodePort, loadBalancerClass: x/y}"), "spec.service.loadBalancerClass",
                        "needs type LoadBalancer"),
                arguments(siteWith("service: {type: LoadBalancer, loadBalancerClass: 'bad class'}"),
                        "spec.service.loadBalancerClass", "qualified name"),
                arguments(siteWith("service: {type: NodePort, loadBalancerSourceRanges: ['10.0.0.0/8']}"),
                        "spec.service.loadBalancerSourceRanges", "needs type LoadBalancer"),
                arguments(siteWith("service: {type: LoadBalancer, loadBalancerSourceRanges: ['203.0.113.7']}"),
                        "spec.service.loadBalancerSourceRanges[0]", "203.0.113.7/32"),
                arguments(siteWith("service: {nodePorts: {http: 30080}}"), "spec.service.nodePorts",
                        "needs type NodePort or LoadBalancer"),
                arguments(siteWith("service: {type: NodePort, nodePorts: {http: 70000}}"), "spec.service.nodePorts.http",
                        "1-65535"),
                arguments(siteWith("service: {type: NodePort, nodePorts: {https: 30443}}"), "spec.service.nodePorts.https",
                        "needs spec.tls"),
                arguments(siteWith("service: {annotations: {'-bad': x}}"), "spec.service.annotations[-bad]", "qualified name"),
                arguments(siteWith("service: {annotations: {'Not_A.Domain/x': y}}"), "spec.service.annotations[Not_A.Domain/x]",
                        "DNS subdomain"),
                // respond
                arguments(routeIs("{respond: {status: 199}}"), "spec.routes[0].respond.status", "must be 200..599"),
                arguments(routeIs("{respond: {status: 600}}"), "spec.routes[0].respond.status", "must be 200..599"),
                // redirect
                arguments(routeIs("{redirect: {scheme: ftp}}"), "spec.routes[0].redirect.scheme", "must be http or https"),
                arguments(routeIs("{redirect: {statusCode: 300}}"), "spec.routes[0].redirect.statusCode", "one of 301, 302, 303, 307, 308"),
                arguments(routeIs("{redirect: {port: 0}}"), "spec.routes[0].redirect.port", "must be 1..65535"),
                arguments(routeIs("{redirect: {path: new}}"), "spec.routes[0].redirect.path", "must start with /"),
                arguments(routeIs("{redirect: {hostname: 'new.example.com:8443'}}"), "spec.routes[0].redirect.hostname", "without a port"),
                // tls.offerHttp2 belongs to HTTPS alone
                arguments(routeIs("{backend: {service: app, port: 80, tls: {offerHttp2: true}}}"),
                        "spec.routes[0].backend.tls.offerHttp2", "only with protocol HTTPS"),
                arguments(routeIs("{backend: {service: app, port: 80, protocol: H2C, tls: {offerHttp2: true}}}"),
                        "spec.routes[0].backend.tls.offerHttp2", "only with protocol HTTPS"),
                arguments(routeIs("{backend: {service: app, port: 80, protocol: GRPC, tls: {offerHttp2: true}}}"),
                        "spec.routes[0].backend.tls.offerHttp2", "GRPC always speak HTTP/2"));
    }

    @ParameterizedTest(name = "{1}: {2} <- {0}")
    @MethodSource("invalidSpecs")
    void reportsTheViolationAtItsPath(String spec, String path, String messageFragment) {
        List<Violation> violations = validate(spec);

        assertThat(violations).hasSize(1);
        assertThat(violations.get(0).path()).isEqualTo(path);
        assertThat(violations.get(0).message()).contains(messageFragment);
    }

    @Test
    void checksApiVersionAndKind() {
        ProxySite site = ProxySiteLoader.parse("apiVersion: portico.dev/v1\nkind: Proxysite\nspec: " + routeIs(ROUTE) + "\n");

        assertThat(ProxySiteValidator.validate(site)).containsExactly(
                new Violation("apiVersion", "must be portico.dev/v1alpha1, not \"portico.dev/v1\""),
                new Violation("kind", "must be ProxySite, not \"Proxysite\""));
    }

    @Test
    void requiresASpec() {
        ProxySite site = ProxySiteLoader.parse(HEADER);

        assertThat(ProxySiteValidator.validate(site)).containsExactly(new Violation("spec", "is required"));
    }

    @Test
    void reportsEveryViolationNotJustTheFirst() {
        List<Violation> violations = validate("{hosts: ['a:1'], replicas: -1, routes: [{backend: {service: app, port: 0}}, {}]}");

        assertThat(violations).extracting(Violation::path).containsExactly(
                "spec.hosts[0]", "spec.replicas", "spec.routes[0].backend.port", "spec.routes[1]");
    }

    @Test
    void acceptsBackendTlsWithProtocolHttpAsTheApiExampleDoes() {
        assertThat(validate(routeIs("{backend: {service: app, port: 80, protocol: HTTP, tls: {insecureSkipVerify: false}}}"))).isEmpty();
    }

    @Test
    void formatsAViolationAsPathColonMessage() {
        assertThat(new Violation("spec.routes[2].backend.port", "must be 1..65535"))
                .hasToString("spec.routes[2].backend.port: must be 1..65535");
    }
}
