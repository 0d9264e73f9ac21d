package dev.portico.crds.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.ValidationRule;

/** A token bucket per resolved client IP. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
        value = "(has(self.enabled) && !self.enabled) || has(self.requestsPerSecond)",
        message = "requestsPerSecond is required (or set enabled: false)",
        fieldPath = ".requestsPerSecond")
public record RateLimit(
        @JsonPropertyDescription("Sustained requests per second allowed per client IP. Required unless "
                + "enabled is false.")
        @Min(1)
        Integer requestsPerSecond,

        @JsonPropertyDescription("Requests a client may send at once before the rate applies. "
                + "Absent: requestsPerSecond.")
        @Min(1)
        Integer burst,

        @JsonPropertyDescription("false: no limit here. On a route, that route is not limited at all, not even "
                + "by the site's rateLimit; the other fields may then be left out.")
        @Default("true")
        Boolean enabled) {}
