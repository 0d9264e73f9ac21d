package dev.portico.crds.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;

@JsonInclude(JsonInclude.Include.NON_NULL)
public record Compression(Boolean enabled, String minSize) {}
