package dev.portico.crds.v1alpha1;

import static dev.portico.crds.v1alpha1.SchemaPatterns.SIZE;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.ValidationRule;

/** One routing rule: a match and exactly one of backend, respond or redirect. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
        value = "(has(self.backend) ? 1 : 0) + (has(self.respond) ? 1 : 0) + (has(self.redirect) ? 1 : 0) == 1",
        message = "set exactly one of backend, respond, redirect")
@ValidationRule(
        value = "!has(self.rewrite) || (has(self.backend) && (!has(self.match) || !has(self.match.path)"
                + " || !has(self.match.path.type) || self.match.path.type == 'PathPrefix'))",
        message = "rewrite is only allowed with backend and a PathPrefix match")
@ValidationRule(value = "!has(self.retries) || has(self.backend)", message = "retries is only allowed with backend",
        fieldPath = ".retries")
public record Route(
        @JsonPropertyDescription("Which requests the route takes. Absent: every request of the site "
                + "(PathPrefix /).")
        RouteMatch match,

        @JsonPropertyDescription("Proxy the request to this upstream. A route has exactly one of backend, "
                + "respond, redirect.")
        Backend backend,

        @JsonPropertyDescription("Answer with a fixed response. A route has exactly one of backend, respond, "
                + "redirect.")
        Respond respond,

        @JsonPropertyDescription("Answer with a redirect. A route has exactly one of backend, respond, redirect.")
        Redirect redirect,

        @JsonPropertyDescription("Rewrite the path before it goes upstream; only with backend and a PathPrefix "
                + "match. Absent: the normalised path (see spec.paths) goes upstream unchanged. The query "
                + "string is always kept as received.")
        Rewrite rewrite,

        @JsonPropertyDescription("Upstream timeouts of this route; each absent one takes its default.")
        Timeouts timeouts,

        @JsonPropertyDescription("Largest request body for this route, a quantity such as 25Mi; larger gets "
                + "413. Absent: spec.limits.maxRequestBodySize.")
        @Pattern(SIZE)
        String maxRequestBodySize,

        @JsonPropertyDescription("Header edits of this route; they run before the site's (spec.headers).")
        RouteHeaders headers,

        @JsonPropertyDescription("Pass WebSocket upgrades (HTTP/1.1 Connection: Upgrade, Upgrade: websocket) "
                + "through; after 101 bytes flow both ways until a side closes or timeouts.idle passes.")
        @Default("true")
        Boolean websocket,

        @JsonPropertyDescription("Allow and deny lists for this route, replacing spec.accessControl for it (the "
                + "site's lists do not apply as well). {} allows every client. Absent: spec.accessControl.")
        AccessControl accessControl,

        @JsonPropertyDescription("A token bucket per client IP for this route, replacing spec.rateLimit for it: "
                + "its buckets are the route's own, so requests to other routes do not spend them. "
                + "{enabled: false}: this route is not limited. Absent: spec.rateLimit (the site's buckets).")
        RateLimit rateLimit,

        @JsonPropertyDescription("Cross-origin resource sharing for this route, replacing spec.cors for it. "
                + "{enabled: false}: none for this route. Absent: spec.cors.")
        Cors cors,

        @JsonPropertyDescription("Authentication of this route, replacing spec.auth; {enabled: false} opts the "
                + "route out of spec.auth (e.g. /outpost.goauthentik.io/, which must be reachable to log in). "
                + "Absent: spec.auth.")
        Auth auth,

        @JsonPropertyDescription("Retry failed requests on another endpoint; only with backend. Absent: a request "
                + "is tried again only when a pooled connection turns out closed before any byte of it was sent.")
        Retries retries) {}
