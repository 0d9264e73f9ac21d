package dev.portico.crds.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * {@code connect}: to open the upstream connection; {@code response}: from the request's
 * end to the response head; {@code idle}: longest silence in a streaming response or an
 * open WebSocket.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Timeouts(String connect, String response, String idle) {}
