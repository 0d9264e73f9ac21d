package dev.portico.crds.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Header edits of one route; they run before the site's. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RouteHeaders(
        @JsonPropertyDescription("Edits of the request before it goes upstream.")
        HeaderModifier request,

        @JsonPropertyDescription("Edits of the response, before the site's own.")
        HeaderModifier response) {}
