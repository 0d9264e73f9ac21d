package dev.portico.runtime.admission;

import dev.portico.runtime.routing.HostNames;
import dev.portico.runtime.routing.RouteAction;

/** The Location of the redirects the proxy answers itself. */
public final class Redirects {

    private Redirects() {}

    /** {@code tls.httpRedirect}: the same host on the default https port, path and query kept (nginx's {@code https://$host$request_uri}). */
    public static String toHttps(RequestTarget target) {
        return "https://" + target.hostWithoutPort() + target.uri();
    }

    /**
     * A {@code redirect} route: each part the route leaves out is kept from the request;
     * the port is kept only when neither scheme nor host changes; the query always is.
     */
    public static String location(RouteAction.Redirect redirect, RequestTarget target, boolean tls) {
        String scheme = redirect.scheme() != null ? redirect.scheme() : tls ? "https" : "http";
        String host = redirect.hostname() != null ? redirect.hostname() : target.hostWithoutPort();
        int port = redirect.port() > 0 ? redirect.port()
                : redirect.scheme() == null && redirect.hostname() == null ? HostNames.port(target.authority()) : -1;
        boolean defaultPort = port < 0 || (scheme.equals("https") && port == 443) || (scheme.equals("http") && port == 80);
        String path = redirect.path() != null ? redirect.path() : target.path();
        return scheme + "://" + host + (defaultPort ? "" : ":" + port) + path + target.query();
    }
}
