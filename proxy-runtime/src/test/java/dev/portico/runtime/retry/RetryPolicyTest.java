package dev.portico.runtime.retry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.crds.v1alpha1.Retries;
import io.netty.handler.codec.http.HttpMethod;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Whether a failed try goes again: a decision table, and the budget's arithmetic. */
class RetryPolicyTest {

    final RetryPolicy policy = new RetryPolicy(3, EnumSet.of(RetryOn.CONNECT_FAILURE, RetryOn.RESET, RetryOn.STATUS_503),
            null, 65536, 20, 3);

    @Test
    void retriesOnlyListedConditionsWithinTheAttempts() {
        assertThat(policy.retries(RetryOn.STATUS_503, 1, true, true)).isTrue();
        assertThat(policy.retries(RetryOn.STATUS_503, 2, true, true)).isTrue();
        assertThat(policy.retries(RetryOn.STATUS_503, 3, true, true)).isFalse(); // 3 tries made: done
        assertThat(policy.retries(RetryOn.STATUS_502, 1, true, true)).isFalse();
        assertThat(policy.retries(RetryOn.STATUS_504, 1, true, true)).isFalse();
        assertThat(policy.retries(RetryOn.RESET, 1, true, true)).isTrue();
    }

    @Test
    void aRequestThatCannotBeRepeatedIsRetriedOnlyWhenItNeverLeft() {
        assertThat(policy.retries(RetryOn.STATUS_503, 1, false, true)).isFalse(); // POST
        assertThat(policy.retries(RetryOn.RESET, 1, false, true)).isFalse();
        assertThat(policy.retries(RetryOn.STATUS_503, 1, true, false)).isFalse(); // body too large to hold
        assertThat(policy.retries(RetryOn.CONNECT_FAILURE, 1, false, false)).isTrue();
        assertThat(RetryPolicy.NONE.retries(RetryOn.CONNECT_FAILURE, 1, true, true)).isFalse();
    }

    @Test
    void idempotentMethodsAreRfc9110s() {
        for (HttpMethod m : List.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS, HttpMethod.PUT,
                HttpMethod.DELETE, HttpMethod.TRACE)) {
            assertThat(RetryPolicy.idempotent(m)).as(m.name()).isTrue();
        }
        assertThat(RetryPolicy.idempotent(HttpMethod.POST)).isFalse();
        assertThat(RetryPolicy.idempotent(HttpMethod.PATCH)).isFalse();
    }

    @Test
    void compiledFromTheApi() {
        RetryPolicy compiled = RetryPolicy.of(new Retries(2, List.of("502", "reset"), "250ms", "1Ki",
                new Retries.RetryBudget(50, 1)));
        assertThat(compiled.on()).containsExactlyInAnyOrder(RetryOn.STATUS_502, RetryOn.RESET);
        assertThat(compiled.tryTimeout(Duration.ofSeconds(60))).isEqualTo(Duration.ofMillis(250));
        assertThat(compiled.maxBufferedBody()).isEqualTo(1024);
        assertThat(RetryPolicy.of(null)).isEqualTo(RetryPolicy.NONE);
        assertThat(RetryPolicy.NONE.tryTimeout(Duration.ofSeconds(60))).isEqualTo(Duration.ofSeconds(60));
    }

    @Test
    void theBudgetIsAShareOfRequestsInFlightWithAFloor() {
        assertThat(RetryBudget.allowed(0, 20, 3)).isEqualTo(3);
        assertThat(RetryBudget.allowed(100, 20, 3)).isEqualTo(20);
        assertThat(RetryBudget.allowed(10, 20, 0)).isEqualTo(2);

        RetryBudget budget = new RetryBudget();
        for (int i = 0; i < 100; i++) {
            budget.requestStarted();
        }
        int granted = 0;
        for (int i = 0; i < 100; i++) {
            granted += budget.tryStartRetry(20, 3) ? 1 : 0;
        }
        assertThat(granted).isEqualTo(20); // every request wanted one: a fifth got one
        budget.retryEnded();
        assertThat(budget.tryStartRetry(20, 3)).isTrue();
        assertThat(budget.retriesInFlight()).isEqualTo(20);
    }
}
