package dev.portico.crds.v1alpha1;

import static dev.portico.crds.v1alpha1.SchemaPatterns.DURATION;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;

/**
 * {@code connect}: to open the upstream connection; {@code response}: from the request's
 * end to the response head; {@code idle}: longest silence in a streaming response or an
 * open WebSocket.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Timeouts(
        @JsonPropertyDescription("Time to open the upstream connection, a duration such as 500ms, 5s. "
                + "Must be more than 0.")
        @Default("5s")
        @Pattern(DURATION)
        String connect,

        @JsonPropertyDescription("Time from the end of the request to the upstream's response head; exceeded "
                + "gets 504. Must be more than 0.")
        @Default("60s")
        @Pattern(DURATION)
        String response,

        @JsonPropertyDescription("Longest silence in a streaming response or an open WebSocket before the "
                + "connection is closed. Must be more than 0.")
        @Default("300s")
        @Pattern(DURATION)
        String idle) {}
