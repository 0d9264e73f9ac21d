package dev.portico.runtime.routing;

import java.util.Locale;

/** Turns a Host header or :authority into the name routes are matched against. */
public final class HostNames {

    private HostNames() {}

    /**
     * Strips the port (IPv6 literals keep their brackets' content), a trailing dot, and
     * case. Returns {@code ""} for a missing or empty authority.
     */
    public static String normalise(String authority) {
        if (authority == null || authority.isEmpty()) {
            return "";
        }
        String host = authority;
        if (host.charAt(0) == '[') {
            int close = host.indexOf(']');
            host = close > 0 ? host.substring(1, close) : host;
        } else {
            int colon = host.indexOf(':');
            // More than one colon without brackets is a bare IPv6 literal: keep it whole.
            if (colon >= 0 && host.indexOf(':', colon + 1) < 0) {
                host = host.substring(0, colon);
            }
        }
        if (host.endsWith(".")) {
            host = host.substring(0, host.length() - 1);
        }
        return host.toLowerCase(Locale.ROOT);
    }

    /** The port written in an authority, or -1 when it names none. */
    public static int port(String authority) {
        if (authority == null) {
            return -1;
        }
        int colon;
        if (authority.startsWith("[")) {
            int close = authority.indexOf(']');
            colon = close > 0 && close + 1 < authority.length() && authority.charAt(close + 1) == ':' ? close + 1 : -1;
        } else {
            colon = authority.indexOf(':');
            if (colon >= 0 && authority.indexOf(':', colon + 1) >= 0) {
                return -1;
            }
        }
        if (colon < 0) {
            return -1;
        }
        try {
            int port = Integer.parseInt(authority.substring(colon + 1));
            return port > 0 && port <= 65535 ? port : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
