package dev.portico.crds.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;

/** A token bucket per resolved client IP. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RateLimit(Integer requestsPerSecond, Integer burst) {}
