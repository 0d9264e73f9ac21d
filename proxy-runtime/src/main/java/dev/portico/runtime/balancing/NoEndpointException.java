package dev.portico.runtime.balancing;

/** A backend resolved to no endpoint that can take a request: 503. */
public final class NoEndpointException extends Exception {

    public NoEndpointException(String backend) {
        super("no endpoint of " + backend + " can take requests", null, false, false);
    }
}
