package dev.portico.runtime.tls.ocsp;

import dev.portico.runtime.tls.ocsp.OcspResponseCheck.InvalidOcspResponseException;
import dev.portico.runtime.tls.ocsp.OcspResponseCheck.Verified;
import java.io.IOException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches and refreshes the OCSP responses of the certificates serving, on one thread
 * of its own, never on an event loop. A response is refreshed at the middle of its
 * validity; a failed fetch is retried with exponential backoff while the last good
 * response keeps being stapled until it expires. Nothing here can fail a handshake:
 * without a current response, handshakes simply go without a staple.
 */
public final class OcspStapling implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(OcspStapling.class);

    /**
     * @param connectTimeout    TCP (and TLS) connect to the responder
     * @param fetchTimeout      the whole exchange, body included
     * @param minRefresh        no refresh comes sooner than this after the last one
     * @param firstRetry        the wait after a first failure, doubled after each further one...
     * @param maxRetry          ...up to this
     * @param withoutNextUpdate how long a response without nextUpdate is stapled after it was fetched
     */
    public record Timings(Duration connectTimeout, Duration fetchTimeout, Duration minRefresh, Duration firstRetry,
                          Duration maxRetry, Duration withoutNextUpdate) {
        /** nginx refreshes hourly at most and retries after 5 minutes; we retry sooner at first, then as seldom. */
        public static final Timings DEFAULT = new Timings(Duration.ofSeconds(5), Duration.ofSeconds(10),
                Duration.ofSeconds(30), Duration.ofSeconds(15), Duration.ofMinutes(10), Duration.ofHours(1));
    }

    private final boolean supported;
    private final Timings timings;
    private final Clock clock;
    private final OcspFetcher fetcher;
    private final ScheduledThreadPoolExecutor scheduler;
    private final AtomicLong fetched = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();

    /**
     * @param supported whether the TLS provider can staple; when not, every certificate gets {@link OcspStaple#none}
     */
    public OcspStapling(boolean supported, Timings timings, Clock clock) {
        this.supported = supported;
        this.timings = timings;
        this.clock = clock;
        this.fetcher = new OcspFetcher(timings.connectTimeout(), timings.fetchTimeout());
        this.scheduler = new ScheduledThreadPoolExecutor(1, r -> {
            Thread thread = new Thread(r, "portico-ocsp-stapling");
            thread.setDaemon(true);
            return thread;
        });
        // Rotated-away certificates cancel their refresh; do not keep those tasks queued for days.
        scheduler.setRemoveOnCancelPolicy(true);
    }

    public boolean supported() {
        return supported;
    }

    /**
     * The staple state of a chain, not yet fetching: a config that is rejected after this
     * call must not leave a refresh behind. {@link #start} begins fetching.
     */
    public OcspStaple stapleFor(String secretName, List<X509Certificate> chain) {
        if (!supported) {
            return OcspStaple.none(secretName);
        }
        try {
            return new OcspStaple(secretName, OcspSource.of(chain));
        } catch (OcspSource.Unavailable e) {
            LOG.info("secret {}: no OCSP stapling, {}", secretName, e.getMessage());
            return OcspStaple.none(secretName);
        }
    }

    /** Fetches the first response now, in the background, and keeps it fresh until {@link #stop}. */
    public void start(OcspStaple staple) {
        if (staple.enabled()) {
            staple.schedule(scheduler, () -> refresh(staple), Duration.ZERO);
        }
    }

    public void stop(OcspStaple staple) {
        staple.stop();
    }

    /** Responses fetched and stapled since start. */
    public long fetchesStapled() {
        return fetched.get();
    }

    /** Fetches that failed or brought an answer that cannot be stapled. */
    public long fetchesFailed() {
        return failed.get();
    }

    private void refresh(OcspStaple staple) {
        if (staple.stopped()) {
            return;
        }
        OcspSource source = staple.source();
        Duration next;
        try {
            byte[] response = fetcher.fetch(source);
            Instant now = clock.instant();
            Verified verified = OcspResponseCheck.verify(response, source, now);
            Instant expiresAt = verified.nextUpdate() != null ? verified.nextUpdate()
                    : now.plus(timings.withoutNextUpdate());
            staple.update(response, expiresAt);
            staple.succeeded();
            fetched.incrementAndGet();
            if (verified.revoked()) {
                LOG.error("secret {}: the OCSP responder {} says the certificate is REVOKED (since {}); stapling "
                        + "that answer, replace the certificate", staple.secretName(), source.responder(),
                        verified.revokedAt());
            } else {
                LOG.info("secret {}: OCSP response from {} stapled, good until {}", staple.secretName(),
                        source.responder(), expiresAt);
            }
            next = refreshDelay(verified.thisUpdate(), expiresAt, now);
        } catch (InterruptedException e) {
            // Only close() interrupts this thread.
            Thread.currentThread().interrupt();
            return;
        } catch (IOException e) {
            next = retryAfterFailure(staple, false, "cannot fetch the OCSP response from " + source.responder()
                    + " (" + e + ")");
        } catch (InvalidOcspResponseException e) {
            next = retryAfterFailure(staple, true, "the OCSP response from " + source.responder()
                    + " cannot be stapled: " + e.getMessage());
        } catch (RuntimeException e) {
            next = retryAfterFailure(staple, true, "OCSP refresh failed (" + e + ")");
        }
        staple.schedule(scheduler, () -> refresh(staple), next);
    }

    /** @param invalid whether the responder answered something wrong (an error), rather than not at all (a warning) */
    private Duration retryAfterFailure(OcspStaple staple, boolean invalid, String why) {
        failed.incrementAndGet();
        int failures = staple.failed();
        Instant stillStapled = staple.expiresAt();
        Duration retry = retryDelay(failures);
        String meanwhile = stillStapled == null ? "handshakes go without a staple"
                : "the previous response is stapled until " + stillStapled;
        if (invalid) {
            LOG.error("secret {}: {}; {}; next try in {} s", staple.secretName(), why, meanwhile, retry.toSeconds());
        } else {
            LOG.warn("secret {}: {}; {}; next try in {} s", staple.secretName(), why, meanwhile, retry.toSeconds());
        }
        return retry;
    }

    /** The middle of the response's validity, or halfway to its expiry if that is already past. */
    Duration refreshDelay(Instant thisUpdate, Instant expiresAt, Instant now) {
        Instant at = thisUpdate.plus(Duration.between(thisUpdate, expiresAt).dividedBy(2));
        if (!at.isAfter(now)) {
            at = now.plus(Duration.between(now, expiresAt).dividedBy(2));
        }
        Duration delay = Duration.between(now, at);
        return delay.compareTo(timings.minRefresh()) < 0 ? timings.minRefresh() : delay;
    }

    Duration retryDelay(int failuresInARow) {
        Duration delay = timings.firstRetry();
        for (int i = 1; i < failuresInARow && delay.compareTo(timings.maxRetry()) < 0; i++) {
            delay = delay.multipliedBy(2);
        }
        return delay.compareTo(timings.maxRetry()) > 0 ? timings.maxRetry() : delay;
    }

    /** No refresh running or waiting (tests use it to know a stopped staple is quiet for good). */
    boolean idle() {
        return scheduler.getQueue().isEmpty() && scheduler.getActiveCount() == 0;
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
    }
}
