package dev.portico.crds.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * How a backend's requests are spread over its endpoints. Envoy Gateway's field names
 * (BackendTrafficPolicy.loadBalancer), so a user coming from it reads the same words.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
        value = "(has(self.type) && self.type == 'ConsistentHash') == has(self.consistentHash)",
        message = "consistentHash is required with type ConsistentHash and only allowed with it",
        fieldPath = ".consistentHash")
public record LoadBalancer(
        @JsonPropertyDescription("RoundRobin (default), LeastRequest (the less busy of two endpoints picked at "
                + "random) or ConsistentHash (the same key goes to the same endpoint: sticky sessions).")
        @Default("RoundRobin")
        Type type,

        @JsonPropertyDescription("What a ConsistentHash balancer hashes; required with it.")
        ConsistentHash consistentHash) {

    public enum Type { RoundRobin, LeastRequest, ConsistentHash }

    /** The key of a consistent-hash balancer. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @ValidationRule(value = "self.type != 'Header' || has(self.header)",
            message = "header is required with type Header", fieldPath = ".header")
    @ValidationRule(value = "self.type != 'Cookie' || has(self.cookie)",
            message = "cookie is required with type Cookie", fieldPath = ".cookie")
    public record ConsistentHash(
            @JsonPropertyDescription("Header (a request header's value), Cookie (a cookie's value; the proxy "
                    + "sets the cookie when the client has none) or SourceIP (the client address, after "
                    + "trustedProxies).")
            @Required
            HashType type,

            @JsonPropertyDescription("The header hashed, with type Header. A request without it goes to an "
                    + "endpoint picked round robin.")
            HeaderKey header,

            @JsonPropertyDescription("The cookie hashed, with type Cookie.")
            CookieKey cookie) {}

    public enum HashType { Header, Cookie, SourceIP }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record HeaderKey(
            @JsonPropertyDescription("Header name, such as X-User-Id.")
            @Required
            @io.fabric8.generator.annotation.Pattern(SchemaPatterns.HEADER_NAME)
            String name) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record CookieKey(
            @JsonPropertyDescription("Cookie name, such as portico-affinity.")
            @Required
            @io.fabric8.generator.annotation.Pattern(SchemaPatterns.COOKIE_NAME)
            String name,

            @JsonPropertyDescription("Lifetime of the cookie the proxy sets, a duration such as 1h. Absent: a "
                    + "session cookie (ends with the browser session).")
            @io.fabric8.generator.annotation.Pattern(SchemaPatterns.DURATION)
            String ttl,

            @JsonPropertyDescription("Path attribute of the cookie the proxy sets. Absent: /.")
            @Default("/")
            String path) {}
}
