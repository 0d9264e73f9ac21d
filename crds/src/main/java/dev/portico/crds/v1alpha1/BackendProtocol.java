package dev.portico.crds.v1alpha1;

/**
 * How the proxy talks to a backend. HTTP and HTTPS are HTTP/1.1 (HTTPS may offer h2 by ALPN,
 * see {@link Backend.BackendTls#offerHttp2}); H2C is cleartext HTTP/2 with prior knowledge;
 * GRPC is HTTP/2, cleartext, or TLS when the backend has a {@code tls} block.
 */
public enum BackendProtocol {
    HTTP,
    HTTPS,
    H2C,
    GRPC
}
