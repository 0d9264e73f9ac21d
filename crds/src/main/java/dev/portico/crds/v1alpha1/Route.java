package dev.portico.crds.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;

/** One routing rule: a match and exactly one of backend, respond or redirect. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Route(
        RouteMatch match,
        Backend backend,
        Respond respond,
        Redirect redirect,
        Rewrite rewrite,
        Timeouts timeouts,
        String maxRequestBodySize,
        RouteHeaders headers,
        Boolean websocket) {}
