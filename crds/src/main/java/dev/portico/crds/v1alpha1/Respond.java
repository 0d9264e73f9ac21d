package dev.portico.crds.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;

/** A fixed response the proxy sends itself. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Respond(Integer status, String body) {}
