package dev.portico.crds.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;

/** A token bucket per resolved client IP. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RateLimit(
        @JsonPropertyDescription("Sustained requests per second allowed per client IP.")
        @Required
        @Min(1)
        Integer requestsPerSecond,

        @JsonPropertyDescription("Requests a client may send at once before the rate applies. "
                + "Absent: requestsPerSecond.")
        @Min(1)
        Integer burst) {}
