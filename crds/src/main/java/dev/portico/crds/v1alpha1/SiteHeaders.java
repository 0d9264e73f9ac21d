package dev.portico.crds.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;

/** Header edits for every request and response of the site, plus an optional security preset. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SiteHeaders(SecurityPreset securityPreset, HeaderModifier request, HeaderModifier response) {}
