package dev.portico.runtime.upstream;

/** Counters the pool reports; the admin listener exposes them as metrics. */
public interface UpstreamStats {

    void opened();

    void closed();

    void connectFailed();

    void reused();

    UpstreamStats NONE = new UpstreamStats() {
        @Override public void opened() {}
        @Override public void closed() {}
        @Override public void connectFailed() {}
        @Override public void reused() {}
    };
}
