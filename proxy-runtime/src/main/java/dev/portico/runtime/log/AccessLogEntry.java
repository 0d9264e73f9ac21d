package dev.portico.runtime.log;

/**
 * One finished request, as the access log prints it.
 *
 * @param status   the status sent, or 499 when the client left before any response
 * @param upstream {@code host:port} of the backend, or null when the proxy answered itself
 * @param endpoint {@code address:port} of the backend's endpoint the last try went to, or null
 * @param attempt  tries at the backend (2 and more: retried; the {@code x-portico-attempt} of the last try), 0 for none
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
        String route,
        String endpoint,
        int attempt) {

    /** An entry without balancing details. */
    public AccessLogEntry(long epochMillis, String clientIp, String peer, String method, String host, String path,
                          String protocol, int status, long bytesIn, long bytesOut, long durationMicros,
                          String upstream, String route) {
        this(epochMillis, clientIp, peer, method, host, path, protocol, status, bytesIn, bytesOut, durationMicros,
                upstream, route, null, 0);
    }
}
