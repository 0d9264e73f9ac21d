package dev.portico.runtime.proxy;

/**
 * Times the wait for a request head on a connection. HTTP/1.1 connections have one
 * ({@code RequestHeadTimeout}); an HTTP/2 stream arrives with its head, so it has none.
 */
public interface HeadTimer {

    /** The head arrived: nothing to time until the exchange ends. */
    void headReceived();

    /** An exchange ended on a keep-alive connection: wait for the next head. */
    void awaitNextHead();

    /** Fired down the pipeline when a started head did not complete in time. */
    final class Expired {
        public static final Expired INSTANCE = new Expired();

        private Expired() {}
    }

    HeadTimer NONE = new HeadTimer() {
        @Override public void headReceived() {}
        @Override public void awaitNextHead() {}
    };
}
