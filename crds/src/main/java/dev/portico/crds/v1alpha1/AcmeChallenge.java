package dev.portico.crds.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** The ACME challenge types a site can use (RFC 8555 section 8). */
public enum AcmeChallenge {
    /** RFC 8555 section 8.3: a file served over plain HTTP on port 80. */
    @JsonProperty("HTTP-01") HTTP_01
}
