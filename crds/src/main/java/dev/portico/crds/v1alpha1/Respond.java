package dev.portico.crds.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

/** A fixed response the proxy sends itself. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Respond(
        @JsonPropertyDescription("HTTP status code, 200..599.")
        @Default("200")
        @Min(200)
        @Max(599)
        Integer status,

        @JsonPropertyDescription("Response body. Absent: empty.")
        String body) {}
