package dev.portico.runtime.policy;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;

/**
 * A policy of the response side, compiled per route: it edits the head of every response the client gets for a
 * request of that route, the backend's and the proxy's own alike. A route without one has none (null), so the
 * response path of a route without such policies does nothing more than before; CORS is the one there is.
 */
@FunctionalInterface
public interface ResponsePolicy {

    /**
     * @param request  the request as the client sent it
     * @param response the response head about to go to the client, after the route's and site's header rules
     */
    void apply(HttpRequest request, HttpHeaders response);
}
