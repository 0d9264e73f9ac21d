package dev.portico.runtime.auth;

/** The authentication a route requires: its own {@code auth}, or the site's. */
public sealed interface RouteAuth permits ForwardAuthPolicy, BasicAuthPolicy {}
