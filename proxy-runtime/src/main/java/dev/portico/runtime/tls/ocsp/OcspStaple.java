package dev.portico.runtime.tls.ocsp;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The OCSP response stapled for one certificate. Handshakes read it with one volatile
 * read and a clock comparison; the stapling thread replaces it whole. A response past
 * its expiry is no longer handed out, whether or not a newer one came.
 */
public final class OcspStaple {

    private record Current(byte[] response, long expiresAtMillis) {}

    private final String secretName;
    private final OcspSource source;
    private volatile Current current;
    // Guarded by this: the next refresh, and whether the certificate still serves.
    private ScheduledFuture<?> pending;
    private boolean stopped;
    // Only touched by the stapling thread.
    private int failuresInARow;

    OcspStaple(String secretName, OcspSource source) {
        this.secretName = secretName;
        this.source = source;
    }

    /** A certificate that gets no staple (no responder, no issuer, or a TLS provider without stapling). */
    public static OcspStaple none(String secretName) {
        return new OcspStaple(secretName, null);
    }

    /** Whether the certificate has a responder to ask, so its TLS context must be built for stapling. */
    public boolean enabled() {
        return source != null;
    }

    /** The DER response to staple now, or null; the array is shared and must not be changed. */
    public byte[] response() {
        Current now = current;
        return now != null && System.currentTimeMillis() < now.expiresAtMillis() ? now.response() : null;
    }

    /** When the response stapled now stops being handed out, or null when there is none. */
    public Instant expiresAt() {
        Current now = current;
        return now == null || System.currentTimeMillis() >= now.expiresAtMillis() ? null
                : Instant.ofEpochMilli(now.expiresAtMillis());
    }

    String secretName() {
        return secretName;
    }

    OcspSource source() {
        return source;
    }

    void update(byte[] response, Instant expiresAt) {
        current = new Current(response, expiresAt.toEpochMilli());
    }

    int failed() {
        return ++failuresInARow;
    }

    void succeeded() {
        failuresInARow = 0;
    }

    synchronized void schedule(ScheduledExecutorService scheduler, Runnable refresh, Duration delay) {
        if (stopped) {
            return;
        }
        try {
            pending = scheduler.schedule(refresh, delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // The runtime is stopping.
            stopped = true;
        }
    }

    /** The certificate no longer serves: no more refreshes (one running finishes harmlessly). */
    synchronized void stop() {
        stopped = true;
        if (pending != null) {
            pending.cancel(false);
        }
    }

    synchronized boolean stopped() {
        return stopped;
    }
}
