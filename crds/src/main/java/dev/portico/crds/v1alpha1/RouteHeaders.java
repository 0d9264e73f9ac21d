package dev.portico.crds.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;

/** Header edits of one route; they run before the site's. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RouteHeaders(HeaderModifier request, HeaderModifier response) {}
