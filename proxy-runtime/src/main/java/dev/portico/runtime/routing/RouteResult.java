package dev.portico.runtime.routing;

/** The router's answer for one request. */
public sealed interface RouteResult {

    /** The host is not one of {@code spec.hosts}. */
    record UnknownHost() implements RouteResult {}

    /** The host is served, but no route matches the path and headers. */
    record NoRoute() implements RouteResult {}

    record Matched(CompiledRoute route) implements RouteResult {}

    RouteResult UNKNOWN_HOST = new UnknownHost();
    RouteResult NO_ROUTE = new NoRoute();
}
