package dev.portico.runtime;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Whether the admin port may speak plain HTTP where it is bound. A push carries the site's
 * private keys and the bearer token, so pushes to an address other hosts can reach need TLS:
 * the runtime refuses to start with {@code --admin-token-file} on a non-loopback
 * {@code --admin-bind} without {@code --admin-tls-secret}. Without pushes the port serves only
 * health, readiness, metrics and the config's hash, which every proxy serves in the clear, so
 * a non-loopback plain port is only warned about (the image's default binds 0.0.0.0 for probes).
 */
enum AdminExposure {
    /** Loopback, or TLS: nothing to say. */
    FINE,
    /** Plain HTTP reachable from other hosts, read-only endpoints only. */
    WARN,
    /** Plain HTTP reachable from other hosts with pushes on. */
    REFUSE;

    static AdminExposure of(String adminBind, boolean pushes, boolean tls) {
        if (tls || loopback(adminBind)) {
            return FINE;
        }
        return pushes ? REFUSE : WARN;
    }

    static String refusal(String adminBind) {
        return "--admin-bind " + adminBind + " is not a loopback address and --admin-token-file enables pushes, "
                + "which carry private keys and the token: give --admin-tls-secret, or bind the admin port to 127.0.0.1";
    }

    static String warning(String adminBind) {
        return "the admin port on " + adminBind + " speaks plain HTTP to other hosts (health, readiness, metrics); "
                + "--admin-tls-secret makes it TLS only";
    }

    private static boolean loopback(String address) {
        try {
            // A name (localhost) is resolved as the bind will resolve it.
            return InetAddress.getByName(address).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false; // the bind fails with its own message
        }
    }
}
