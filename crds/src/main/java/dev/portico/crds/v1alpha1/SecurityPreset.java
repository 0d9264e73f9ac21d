package dev.portico.crds.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** A named set of response security headers. */
public enum SecurityPreset {
    @JsonProperty("none") NONE,
    @JsonProperty("strict") STRICT
}
