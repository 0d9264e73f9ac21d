package dev.portico.runtime.proxy;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A timeout that is re-armed and disarmed per request without touching the event loop's
 * timer queue each time: arming only moves a deadline, and the one scheduled check
 * reschedules itself while the deadline lies ahead (the trick of Netty's
 * IdleStateHandler). Keep-alive traffic thus costs two field writes per request instead
 * of a schedule and a cancel. Not thread-safe: used on its channel's event loop only.
 */
public final class Deadline {

    private static final long DISARMED = 0;

    private final EventExecutor executor;
    private final Runnable onExpiry;
    private long deadline = DISARMED;
    /** When the scheduled check runs, or DISARMED when none is scheduled. */
    private long checkAt = DISARMED;
    private ScheduledFuture<?> scheduled;

    public Deadline(EventExecutor executor, Runnable onExpiry) {
        this.executor = executor;
        this.onExpiry = onExpiry;
    }

    public void arm(long nanosFromNow) {
        long at = executor.ticker().nanoTime() + nanosFromNow;
        deadline = at == DISARMED ? 1 : at;
        if (checkAt == DISARMED || checkAt - deadline > 0) {
            schedule(nanosFromNow);
        }
    }

    public void disarm() {
        deadline = DISARMED;
    }

    /**
     * Disarms for good and takes the scheduled check off the event loop's queue: a closed
     * channel (an HTTP/2 stream lives for one request) must not leave a check behind for
     * a minute, holding its handler, once per stream.
     */
    public void cancel() {
        deadline = DISARMED;
        checkAt = DISARMED;
        if (scheduled != null) {
            scheduled.cancel(false);
            scheduled = null;
        }
    }

    private void schedule(long delayNanos) {
        long at = executor.ticker().nanoTime() + delayNanos;
        checkAt = at == DISARMED ? 1 : at;
        long scheduledFor = checkAt;
        scheduled = executor.schedule(() -> check(scheduledFor), delayNanos, TimeUnit.NANOSECONDS);
    }

    private void check(long scheduledFor) {
        if (checkAt != scheduledFor) {
            return; // superseded by an earlier check
        }
        checkAt = DISARMED;
        if (deadline == DISARMED) {
            return;
        }
        long remaining = deadline - executor.ticker().nanoTime();
        if (remaining > 0) {
            schedule(remaining);
        } else {
            deadline = DISARMED;
            onExpiry.run();
        }
    }
}
