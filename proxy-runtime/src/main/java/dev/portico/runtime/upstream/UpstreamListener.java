package dev.portico.runtime.upstream;

/** What an upstream connection tells the exchange that currently owns it. */
public interface UpstreamListener {

    /** A response head, content piece, or (after a 101) raw bytes; ownership passes on. */
    void onUpstreamMessage(Object message);

    /** The end of one read burst: the moment to flush what was written downstream. */
    void onUpstreamReadComplete();

    void onUpstreamWritabilityChanged(boolean writable);

    /** The connection closed or failed; {@code cause} is null for an orderly close. */
    void onUpstreamClosed(Throwable cause);
}
