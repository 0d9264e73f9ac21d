package dev.portico.crds.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;

/** Request limits of the whole site; sizes are Kubernetes quantities, timeouts durations. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Limits(String maxRequestBodySize, String maxRequestHeadersSize, String requestHeaderTimeout) {}
