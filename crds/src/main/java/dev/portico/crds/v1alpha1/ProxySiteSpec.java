package dev.portico.crds.v1alpha1;

import static dev.portico.crds.v1alpha1.SchemaPatterns.MAX_HOSTS;
import static dev.portico.crds.v1alpha1.SchemaPatterns.MAX_ROUTES;
import static dev.portico.crds.v1alpha1.SchemaPatterns.MAX_SITE_HOST_LENGTH;
import static dev.portico.crds.v1alpha1.SchemaPatterns.SECRET_NAME;
import static dev.portico.crds.v1alpha1.SchemaPatterns.SITE_HOST;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.model.annotation.SpecReplicas;
import java.util.List;

/**
 * What a user asks for: one site, its hosts, and how its traffic is routed.
 *
 * <p>The CEL rule mirrors the validator's check that a route's hosts are site hosts; it compares
 * the strings as written (the validator ignores case), which keeps it cheap enough for the API
 * server's cost estimate: 256 routes x 64 route hosts x 64 site hosts. The second rule mirrors the
 * validator's check that {@code proxyProtocol} comes with the CIDRs allowed to send the header.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
        value = "self.routes.all(r, !has(r.match) || !has(r.match.hosts) || r.match.hosts.all(h, h in self.hosts))",
        message = "every entry of a route's match.hosts must be one of spec.hosts",
        fieldPath = ".routes")
@ValidationRule(
        value = "!has(self.service) || !has(self.service.nodePorts) || !has(self.service.nodePorts.https) || has(self.tls)",
        message = "service.nodePorts.https needs spec.tls (without TLS the Service has no https port)",
        fieldPath = ".service.nodePorts.https")
@ValidationRule(
        value = "!has(self.proxyProtocol) || !self.proxyProtocol || (has(self.trustedProxies) "
                + "&& has(self.trustedProxies.cidrs) && size(self.trustedProxies.cidrs) > 0)",
        message = "proxyProtocol needs trustedProxies.cidrs: the load balancers that may send the header",
        fieldPath = ".proxyProtocol")
public record ProxySiteSpec(
        @JsonPropertyDescription("The host names this site serves, matched against the request's Host "
                + "(or :authority) without its port, case-insensitively. Each is an exact DNS name "
                + "(vera.example.com), a wildcard of exactly one leading label (*.vera.example.com "
                + "matches a.vera.example.com, not vera.example.com nor a.b.vera.example.com), or \"*\" "
                + "alone for any host, IP literals included. An exact host beats a wildcard, a wildcard "
                + "beats \"*\". A request for no listed host gets 404.")
        @Required
        @Size(min = 1, max = MAX_HOSTS)
        List<@Size(max = MAX_SITE_HOST_LENGTH) @Pattern(SITE_HOST) String> hosts,

        @JsonPropertyDescription("Number of proxy pods. Also the scale subresource: kubectl scale and "
                + "a HorizontalPodAutoscaler set it. A PodDisruptionBudget is kept when it is more than 1.")
        @Default("2")
        @Min(0)
        @SpecReplicas
        Integer replicas,

        @JsonPropertyDescription("The ProxyClass (cluster-scoped, the admin's) whose pod settings the proxy runs "
                + "with: image, resources, placement, JVM options and defaults for spec.service. Absent: the class "
                + "annotated portico.dev/is-default-class: \"true\", if there is one. A class that does not exist "
                + "is reported in ResolvedRefs, and the proxy keeps running as it was. The runtime outside a "
                + "cluster ignores it.")
        @Size(max = 253)
        @Pattern(SECRET_NAME)
        String proxyClassName,

        @JsonPropertyDescription("How the site's Service exposes the proxy: ClusterIP (default), NodePort or "
                + "LoadBalancer, with the load balancer's settings. Each field absent here is the ProxyClass's "
                + "(spec.service there), else the default; annotations of both apply, this site's winning on a "
                + "key. Absent altogether: the class's, else a ClusterIP Service.")
        Exposure service,

        @JsonPropertyDescription("TLS termination. Absent: the site serves plain HTTP only.")
        Tls tls,

        @JsonPropertyDescription("Offer HTTP/2 on the TLS listener (ALPN h2 next to http/1.1). "
                + "Plain HTTP is always HTTP/1.1.")
        @Default("true")
        Boolean http2,

        @JsonPropertyDescription("Who may tell the proxy the client's address (X-Forwarded-For). Absent: "
                + "nobody; the client is the TCP peer and incoming X-Forwarded-*, X-Real-IP and Forwarded "
                + "headers are dropped.")
        TrustedProxies trustedProxies,

        @JsonPropertyDescription("Both listeners (HTTP and HTTPS) expect a PROXY protocol header (v1 or v2, "
                + "as AWS NLB, HAProxy and most TCP load balancers send it) before HTTP or TLS, and take the "
                + "client's address from it. Only peers in trustedProxies.cidrs (which must be set) may send "
                + "one: a connection from any other peer, or without a valid header within "
                + "limits.requestHeaderTimeout, is closed before any HTTP or TLS byte is read. The carried "
                + "address then counts as the TCP peer everywhere (forwarded headers, accessControl, rateLimit, "
                + "the per-client limits, the access log); a v2 LOCAL header (a load balancer's health check) "
                + "keeps the TCP peer. A change applies to connections opened after it.")
        @Default("false")
        Boolean proxyProtocol,

        @JsonPropertyDescription("Request limits of the whole site. Each absent field takes its default.")
        Limits limits,

        @JsonPropertyDescription("How request paths are normalised before routing and forwarding. Each "
                + "absent field takes its default.")
        Paths paths,

        @JsonPropertyDescription("Header edits for every request and response of the site, applied after "
                + "the route's own, and the security preset.")
        SiteHeaders headers,

        @JsonPropertyDescription("Response compression (br, zstd or gzip, chosen by the client's "
                + "Accept-Encoding q-values). Absent: off. text/event-stream is never compressed.")
        Compression compression,

        @JsonPropertyDescription("Allow and deny lists of CIDRs, checked against the resolved client IP "
                + "(see trustedProxies); a refused request gets 403. A route's own accessControl replaces it for that "
                + "route. Absent: everyone is allowed.")
        AccessControl accessControl,

        @JsonPropertyDescription("A token bucket per resolved client IP; a request over the limit gets 429 "
                + "with Retry-After. A route's own rateLimit replaces it for that route. Absent: no limit.")
        RateLimit rateLimit,

        @JsonPropertyDescription("Cross-origin resource sharing for every route without its own cors (and for "
                + "requests no route takes): the proxy answers preflights and adds the Access-Control-Allow-* "
                + "headers to responses for allowed origins. Absent: the proxy leaves CORS to the backends.")
        Cors cors,

        @JsonPropertyDescription("The routing rules. Among the routes whose hosts and headers match: an Exact "
                + "path beats a PathPrefix, the longest PathPrefix wins, and RegularExpression routes are "
                + "tried in the order written, after them. No match: 404.")
        @Required
        @Size(min = 1, max = MAX_ROUTES)
        List<Route> routes,

        @JsonPropertyDescription("Authentication of every route (forward auth or basic auth); a route's own "
                + "auth replaces it, and auth: {enabled: false} on a route opts it out. Checked after "
                + "accessControl, rateLimit, tls.httpRedirect and routing. Absent: no auth.")
        Auth auth) {

    /** This spec with another {@code proxyClassName}. */
    public ProxySiteSpec withProxyClassName(String proxyClassName) {
        return new ProxySiteSpec(hosts, replicas, proxyClassName, service, tls, http2, trustedProxies, proxyProtocol,
                limits, paths, headers, compression, accessControl, rateLimit, cors, routes, auth);
    }

    /** This spec with {@code service} in place of its own (the operator merges a ProxyClass's defaults in). */
    public ProxySiteSpec withService(Exposure service) {
        return new ProxySiteSpec(hosts, replicas, proxyClassName, service, tls, http2, trustedProxies, proxyProtocol,
                limits, paths, headers, compression, accessControl, rateLimit, cors, routes, auth);
    }
}
