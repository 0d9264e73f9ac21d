package dev.portico.runtime.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The token bucket per client, against the real clock (bounds are generous for a loaded machine). */
@Timeout(60)
class RateLimiterTest {

    private static final InetAddress ALICE = AccessPolicyTest.ip("198.51.100.1");
    private static final InetAddress BOB = AccessPolicyTest.ip("2001:db8::b0b");

    @Test
    void aFullBucketLetsTheBurstThroughThenRefuses() {
        RateLimiter limiter = new RateLimiter(1, 5);

        for (int i = 0; i < 5; i++) {
            assertThat(limiter.acquire(ALICE)).as("request %d of the burst", i + 1).isZero();
        }
        assertThat(limiter.acquire(ALICE)).isPositive();
        assertThat(limiter.acquire(ALICE)).isPositive();
    }

    @Test
    void tokensComeBackAtTheConfiguredRateButNeverBeyondTheBurst() throws Exception {
        RateLimiter limiter = new RateLimiter(10, 5);
        drain(limiter, ALICE);

        TimeUnit.MILLISECONDS.sleep(350);   // ~3.5 tokens at 10/s
        int refilled = drain(limiter, ALICE);
        assertThat(refilled).isBetween(2, 5);

        TimeUnit.MILLISECONDS.sleep(1_200); // would be 12 tokens without the cap
        assertThat(drain(limiter, ALICE)).isBetween(5, 6);
    }

    @Test
    void retryAfterIsWholeSecondsAtLeastOneAndNoMoreThanATokenTakes() throws Exception {
        RateLimiter slow = new RateLimiter(1, 1);
        assertThat(slow.acquire(ALICE)).isZero();
        assertThat(slow.acquire(ALICE)).isEqualTo(1);

        RateLimiter fast = new RateLimiter(50, 2);
        drain(fast, ALICE);
        // A token is back within 20 ms, but Retry-After has a one-second granularity.
        assertThat(fast.acquire(ALICE)).isEqualTo(1);

        // The advice is honest: waiting that long does get a request through.
        RateLimiter honest = new RateLimiter(1, 1);
        honest.acquire(BOB);
        long retryAfter = honest.acquire(BOB);
        TimeUnit.SECONDS.sleep(retryAfter);
        TimeUnit.MILLISECONDS.sleep(50);
        assertThat(honest.acquire(BOB)).isZero();
    }

    @Test
    void eachClientHasItsOwnBucket() {
        RateLimiter limiter = new RateLimiter(1, 3);
        drain(limiter, ALICE);
        assertThat(limiter.acquire(ALICE)).isPositive();

        assertThat(limiter.acquire(BOB)).isZero();
        assertThat(limiter.acquire(AccessPolicyTest.ip("198.51.100.2"))).isZero();
        assertThat(limiter.acquire(ALICE)).isPositive();
    }

    @Test
    void memoryStaysBoundedHoweverManyClientsThereAre() throws Exception {
        RateLimiter limiter = new RateLimiter(1, 10);
        byte[] address = new byte[4];
        for (int i = 0; i < 300_000; i++) {
            address[0] = 10;
            address[1] = (byte) (i >>> 16);
            address[2] = (byte) (i >>> 8);
            address[3] = (byte) i;
            assertThat(limiter.acquire(InetAddress.getByAddress(address))).isZero();
        }

        assertThat(limiter.trackedClients()).isPositive().isLessThanOrEqualTo(RateLimiter.MAX_CLIENTS);
        assertThat(RateLimiter.MAX_CLIENTS).isLessThan(300_000);
    }

    @Test
    void anIdleClientIsForgottenOnceItsBucketWouldBeFullAgain() throws Exception {
        RateLimiter limiter = new RateLimiter(100, 1);   // full again after 10 ms; kept 1 s more
        limiter.acquire(ALICE);
        limiter.acquire(BOB);
        assertThat(limiter.trackedClients()).isEqualTo(2);

        TimeUnit.MILLISECONDS.sleep(1_500);

        assertThat(limiter.trackedClients()).isZero();
    }

    @Test
    void sameSettingsIsTheReloadTest() {
        RateLimiter limiter = new RateLimiter(5, 10);
        assertThat(limiter.sameSettings(5, 10)).isTrue();
        assertThat(limiter.sameSettings(6, 10)).isFalse();
        assertThat(limiter.sameSettings(5, 11)).isFalse();
    }

    /** Takes tokens until refused; returns how many were granted. */
    private static int drain(RateLimiter limiter, InetAddress client) {
        int granted = 0;
        while (limiter.acquire(client) == 0) {
            granted++;
            if (granted > 1_000) {
                throw new AssertionError("the bucket never runs dry");
            }
        }
        return granted;
    }
}
