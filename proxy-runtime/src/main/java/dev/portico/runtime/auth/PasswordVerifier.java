package dev.portico.runtime.auth;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The threads that run bcrypt, so that an event loop never spends tens of milliseconds on a password. Bounded both
 * ways: a few threads (half the cores, at least one: the proxy's own work keeps the rest) and a queue of
 * {@link #QUEUE} verifications; beyond that a request is refused at once (503) rather than queued behind a flood of
 * guesses. Rate limiting (spec.rateLimit, checked before auth) is what keeps one client from filling it.
 */
public final class PasswordVerifier {

    static final int QUEUE = 256;
    private static final PasswordVerifier SHARED = new PasswordVerifier(
            Math.max(1, Runtime.getRuntime().availableProcessors() / 2));

    private final ThreadPoolExecutor executor;

    PasswordVerifier(int threads) {
        AtomicInteger count = new AtomicInteger();
        executor = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, new ArrayBlockingQueue<>(QUEUE),
                task -> {
                    Thread thread = new Thread(task, "portico-bcrypt-" + count.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
        executor.allowCoreThreadTimeOut(true);
    }

    /** The one verifier of the process: every site's basic auth shares its threads. */
    public static PasswordVerifier shared() {
        return SHARED;
    }

    /**
     * Verifies on a verifier thread; {@code done} gets the answer there (hand it back to the event loop).
     *
     * @return false when the queue is full: nothing was started
     */
    public boolean submit(BasicAuthPolicy policy, BasicAuthPolicy.Verify credentials, Consumer<Boolean> done) {
        try {
            executor.execute(() -> {
                boolean granted;
                try {
                    granted = policy.verify(credentials);
                } catch (RuntimeException e) {
                    granted = false; // e.g. a hash the library cannot read: never a way in
                }
                done.accept(granted);
            });
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }
}
