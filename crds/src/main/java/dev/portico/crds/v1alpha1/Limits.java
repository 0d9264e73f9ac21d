package dev.portico.crds.v1alpha1;

import static dev.portico.crds.v1alpha1.SchemaPatterns.DURATION;
import static dev.portico.crds.v1alpha1.SchemaPatterns.SIZE;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;

/** Request limits of the whole site; sizes are Kubernetes quantities, timeouts durations. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Limits(
        @JsonPropertyDescription("Largest request body, a quantity such as 512Ki, 10Mi, 1Gi or plain bytes; "
                + "larger gets 413. Must be more than 0. A route may override it.")
        @Default("10Mi")
        @Pattern(SIZE)
        String maxRequestBodySize,

        @JsonPropertyDescription("Largest request line plus headers, a quantity; larger gets 431. Must be "
                + "more than 0.")
        @Default("32Ki")
        @Pattern(SIZE)
        String maxRequestHeadersSize,

        @JsonPropertyDescription("Time for a client to send the request headers, a duration such as 500ms, "
                + "10s, 5m; too slow gets 408 and the connection is closed. Must be more than 0.")
        @Default("10s")
        @Pattern(DURATION)
        String requestHeaderTimeout) {}
