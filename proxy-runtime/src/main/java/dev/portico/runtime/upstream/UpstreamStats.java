package dev.portico.runtime.upstream;

/** Counters the pool reports; the admin listener exposes them as metrics. */
public interface UpstreamStats {

    /** Why a connection that finished its exchange was closed instead of pooled. */
    enum Discard {
        /** Bytes arrived that answer no request: after the end of a response, or while idle in the pool. */
        UNSOLICITED_BYTES("unsolicited_bytes"),
        /** Handed back to the pool before its response ended (never expected: a bug, counted rather than pooled). */
        NOT_IDLE("not_idle");

        private final String label;

        Discard(String label) {
            this.label = label;
        }

        /** The {@code reason} label of the metric. */
        public String label() {
            return label;
        }
    }

    void opened();

    void closed();

    void connectFailed();

    void reused();

    void discarded(Discard reason);

    /** An HTTP/2 connection to a backend is up (it was counted as {@link #opened()} too). */
    default void http2ConnectionOpened() {}

    /** An exchange opened a stream on an HTTP/2 upstream connection. */
    default void http2StreamOpened() {}

    UpstreamStats NONE = new UpstreamStats() {
        @Override public void opened() {}
        @Override public void closed() {}
        @Override public void connectFailed() {}
        @Override public void reused() {}
        @Override public void discarded(Discard reason) {}
    };
}
