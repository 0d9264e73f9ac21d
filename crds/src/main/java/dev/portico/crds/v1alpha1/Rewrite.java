package dev.portico.crds.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;

/** Replaces the matched PathPrefix with {@code replacePrefixMatch} before the request goes upstream. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Rewrite(String replacePrefixMatch) {}
