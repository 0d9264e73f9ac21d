package dev.portico.runtime.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** limits.maxRequestsInFlightPerClient's counter, without a runtime around it. */
@Timeout(30)
class InFlightLimiterTest {

    static final InetAddress A = address("192.0.2.1");
    static final InetAddress B = address("2001:db8::1");

    final InFlightLimiter limiter = new InFlightLimiter();

    @Test
    void admitsUpToTheLimitPerAddressAndEachAddressAlone() {
        for (int i = 0; i < 3; i++) {
            assertThat(limiter.tryAcquire(A, 3)).isTrue();
        }
        assertThat(limiter.tryAcquire(A, 3)).isFalse();
        assertThat(limiter.tryAcquire(A, 3)).as("a refusal counts nothing").isFalse();
        assertThat(limiter.tryAcquire(B, 3)).isTrue();

        assertThat(limiter.inFlight(A)).isEqualTo(3);
        assertThat(limiter.inFlight(B)).isEqualTo(1);
        assertThat(limiter.total()).isEqualTo(4);
    }

    @Test
    void aReleaseMakesRoomAndAnAddressAtZeroIsForgotten() {
        limiter.tryAcquire(A, 1);
        limiter.release(A);
        assertThat(limiter.clients()).isZero();
        assertThat(limiter.tryAcquire(A, 1)).isTrue();
        limiter.release(A);

        assertThat(limiter.total()).isZero();
        assertThat(limiter.inFlight(A)).isZero();
    }

    @Test
    void aReleaseWithoutAnAcquireIsABugAndSaysSo() {
        assertThatThrownBy(() -> limiter.release(A)).isInstanceOf(IllegalStateException.class);
        assertThat(limiter.total()).isZero();
    }

    @Test
    void aLowerLimitAfterAReloadAdmitsNothingUntilTheCountFallsBelowIt() {
        for (int i = 0; i < 5; i++) {
            limiter.tryAcquire(A, 5);
        }
        assertThat(limiter.tryAcquire(A, 2)).isFalse();
        for (int i = 0; i < 4; i++) {
            limiter.release(A);
        }
        assertThat(limiter.tryAcquire(A, 2)).isTrue();
    }

    /** Many threads (as many event loops) racing on one address never pass the limit, and end at zero. */
    @Test
    void concurrentAcquiresNeverPassTheLimitAndBalanceToZero() throws Exception {
        int threads = 8;
        int max = 16;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger mostInside = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Integer>> admitted = new ArrayList<>();
        try {
            for (int t = 0; t < threads; t++) {
                admitted.add(pool.submit(() -> {
                    start.await();
                    int n = 0;
                    for (int i = 0; i < 20_000; i++) {
                        if (limiter.tryAcquire(A, max)) {
                            mostInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
                            inside.decrementAndGet();
                            limiter.release(A);
                            n++;
                        }
                    }
                    return n;
                }));
            }
            start.countDown();
            int total = 0;
            for (Future<Integer> f : admitted) {
                total += f.get(20, TimeUnit.SECONDS);
            }
            assertThat(total).isPositive();
        } finally {
            pool.shutdownNow();
        }
        assertThat(mostInside.get()).isLessThanOrEqualTo(max);
        assertThat(limiter.total()).isZero();
        assertThat(limiter.clients()).isZero();
    }

    private static InetAddress address(String text) {
        try {
            return InetAddress.getByName(text);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
