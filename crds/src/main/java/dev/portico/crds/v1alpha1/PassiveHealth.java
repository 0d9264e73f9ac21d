package dev.portico.crds.v1alpha1;

import static dev.portico.crds.v1alpha1.SchemaPatterns.DURATION;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;

/**
 * Outlier detection: an endpoint that keeps failing is ejected, so one dead or broken pod
 * stops getting its share; it is readmitted after an ejection time that doubles each time it
 * is ejected again. Ejection never takes more than maxEjectionPercent of a backend's
 * endpoints, so a backend-wide failure does not eject everything (Envoy's outlier detection,
 * with nginx's max_fails default of counting only failures to connect).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PassiveHealth(
        @JsonPropertyDescription("false: no endpoint is ever ejected.")
        @Default("true")
        Boolean enabled,

        @JsonPropertyDescription("Consecutive failures of an endpoint to connect, reset mid-request or answer "
                + "in time that eject it. Default 5.")
        @Default("5")
        @Min(1)
        @Max(1000)
        Integer consecutiveFailures,

        @JsonPropertyDescription("Consecutive 5xx responses of an endpoint that eject it. Absent: 5xx responses "
                + "do not count (the backend may mean them).")
        @Min(1)
        @Max(1000)
        Integer consecutive5xx,

        @JsonPropertyDescription("How long a first ejection lasts, a duration; each further ejection of the same "
                + "endpoint doubles it, up to maxEjectionTime. Default 10s.")
        @Default("10s")
        @Pattern(DURATION)
        String baseEjectionTime,

        @JsonPropertyDescription("Longest ejection, a duration. Default 300s.")
        @Default("300s")
        @Pattern(DURATION)
        String maxEjectionTime,

        @JsonPropertyDescription("Most of a backend's endpoints that may be ejected at once, in percent; at "
                + "least one endpoint always stays. Default 50.")
        @Default("50")
        @Min(0)
        @Max(100)
        Integer maxEjectionPercent) {}
