package dev.portico.runtime.upstream;

import dev.portico.runtime.routing.RouteAction.UpstreamTarget;

/** The TLS handshake with a backend failed: wrong name, untrusted chain, or no TLS there at all. */
public final class UpstreamTlsException extends Exception {

    private static final long serialVersionUID = 1L;

    UpstreamTlsException(UpstreamTarget target, Throwable cause) {
        super("TLS handshake with " + target + " (server name " + target.serverName() + ") failed: "
                + cause.getMessage(), cause);
    }
}
