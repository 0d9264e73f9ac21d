package dev.portico.runtime.log;

/**
 * One finished request, as the access log prints it.
 *
 * @param status   the status sent, or 499 when the client left before any response
 * @param upstream {@code host:port} of the backend, or null when the proxy answered itself
 */
public record AccessLogEntry(
        long epochMillis,
        String clientIp,
        String peer,
        String method,
        String host,
        String path,
        String protocol,
        int status,
        long bytesIn,
        long bytesOut,
        long durationMicros,
        String upstream,
        String route) {}
