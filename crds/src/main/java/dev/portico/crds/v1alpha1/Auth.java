package dev.portico.crds.v1alpha1;

import static dev.portico.crds.v1alpha1.SchemaPatterns.ABSOLUTE_PATH;
import static dev.portico.crds.v1alpha1.SchemaPatterns.DURATION;
import static dev.portico.crds.v1alpha1.SchemaPatterns.HEADER_NAME;
import static dev.portico.crds.v1alpha1.SchemaPatterns.MAX_DNS_NAME_LENGTH;
import static dev.portico.crds.v1alpha1.SchemaPatterns.SECRET_NAME;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/**
 * Who may use the site or a route: a forward-auth service that decides each request (nginx auth_request, Traefik
 * forwardAuth, Envoy ext_authz; authentik's and Authelia's endpoints), or HTTP basic auth against htpasswd lines of
 * a Secret. On a route it replaces the site's; {@code enabled: false} on a route opts it out (an authentik outpost
 * path must stay reachable to log in).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!(has(self.forward) && has(self.basic))", message = "set at most one of forward, basic")
@ValidationRule(
        value = "!has(self.enabled) || self.enabled || (!has(self.forward) && !has(self.basic))",
        message = "enabled: false turns auth off; remove forward and basic, or enabled")
public record Auth(
        @JsonPropertyDescription("false: no auth here (on a route: even if the site has auth). Absent or true: "
                + "forward or basic of this block, else (on a route) the site's.")
        Boolean enabled,

        @JsonPropertyDescription("Ask an auth service about each request before it goes upstream.")
        ForwardAuth forward,

        @JsonPropertyDescription("HTTP basic auth against the bcrypt htpasswd lines of a Secret.")
        BasicAuth basic) {

    /** The decision of another service: 2xx lets the request through, anything else is its answer to the client. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ForwardAuth(
            @JsonPropertyDescription("The auth service, addressed like a route's backend (e.g. authentik's "
                    + "server or outpost, port 9000; Authelia, port 9091).")
            @Required
            Backend backend,

            @JsonPropertyDescription("Path (and query) of the auth endpoint, e.g. "
                    + "/outpost.goauthentik.io/auth/traefik (authentik) or /api/authz/forward-auth (Authelia). "
                    + "The subrequest carries the client's method and headers (no body), its Host, and "
                    + "X-Forwarded-Method, -Proto, -Host, -Uri, -For, X-Original-URL and X-Original-Method.")
            @Default("/")
            @Pattern(ABSOLUTE_PATH)
            String path,

            @JsonPropertyDescription("Headers of the auth service's 2xx answer copied onto the request that goes "
                    + "upstream (e.g. X-authentik-username, Remote-User). The client's own headers of these names "
                    + "are always removed first, so a client cannot forge them.")
            @Size(max = 64)
            List<@Pattern(HEADER_NAME) String> responseHeaders,

            @JsonPropertyDescription("Longest wait for the auth service's answer, connect included; exceeded, "
                    + "or the service unreachable: 503. Must be more than 0.")
            @Default("5s")
            @Pattern(DURATION)
            String timeout) {}

    /** HTTP basic auth (RFC 7617) with bcrypt hashes. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record BasicAuth(
            @JsonPropertyDescription("Name of a Secret in the ProxySite's namespace whose key \"auth\" holds "
                    + "htpasswd lines (user:hash), bcrypt only ($2y$, $2a$, $2b$; made by htpasswd -B). Outside a "
                    + "cluster: the file auth in a folder of --secrets-dir. Missing or unreadable, the site is "
                    + "not served unauthenticated: the config is refused.")
            @Required
            @Size(max = MAX_DNS_NAME_LENGTH)
            @Pattern(SECRET_NAME)
            String secretName,

            @JsonPropertyDescription("The realm of the WWW-Authenticate challenge; no double quotes, backslashes "
                    + "or control characters.")
            @Default("Restricted")
            @Size(max = 256)
            @Pattern("^[^\"\\\\\\x00-\\x1F\\x7F]*$")
            String realm) {}
}
