package dev.portico.runtime.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class DeadlineTest {

    private final EmbeddedChannel channel = new EmbeddedChannel();
    private final AtomicInteger expired = new AtomicInteger();
    private final Deadline deadline = new Deadline(channel.eventLoop(), expired::incrementAndGet);

    private void advance(long seconds) {
        channel.advanceTimeBy(seconds, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();
    }

    @Test
    void expiresOnceWhenNotDisarmed() {
        deadline.arm(TimeUnit.SECONDS.toNanos(10));

        advance(9);
        assertThat(expired).hasValue(0);
        advance(2);
        assertThat(expired).hasValue(1);
        advance(60);
        assertThat(expired).hasValue(1);
    }

    @Test
    void disarmingPreventsTheExpiry() {
        deadline.arm(TimeUnit.SECONDS.toNanos(10));
        deadline.disarm();

        advance(20);
        assertThat(expired).hasValue(0);
    }

    @Test
    void reArmingMovesTheDeadlineWithoutANewTimerEachTime() {
        deadline.arm(TimeUnit.SECONDS.toNanos(10));
        for (int i = 0; i < 5; i++) {
            advance(5);
            deadline.arm(TimeUnit.SECONDS.toNanos(10)); // keep-alive traffic: each request re-arms
        }
        assertThat(expired).as("each re-arm pushed the deadline out").hasValue(0);

        advance(11);
        assertThat(expired).hasValue(1);
    }

    @Test
    void anEarlierDeadlineGetsAnEarlierCheck() {
        deadline.arm(TimeUnit.SECONDS.toNanos(75));
        deadline.arm(TimeUnit.SECONDS.toNanos(10));

        advance(11);
        assertThat(expired).hasValue(1);
    }

    @Test
    void cancelTakesTheCheckOffTheEventLoop() {
        deadline.arm(TimeUnit.SECONDS.toNanos(60));
        assertThat(channel.runScheduledPendingTasks()).as("a check is scheduled").isPositive();

        deadline.cancel();

        assertThat(channel.runScheduledPendingTasks()).as("nothing left scheduled").isEqualTo(-1);
        advance(120);
        assertThat(expired).hasValue(0);
    }
}
