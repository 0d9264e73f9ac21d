package dev.portico.crds.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;

/** A redirect; each absent part is kept from the request. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Redirect(String scheme, String hostname, Integer port, String path, Integer statusCode) {}
