package dev.portico.operator.push;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The operator's side of config pushes, as {@code portico_operator_config_pushes_total{outcome}} and the
 * {@code portico_operator_config_push_duration_seconds} histogram: the pods' own
 * {@code portico_config_push_total} says what they did with a bundle, these say what the operator
 * tried and how long pods took to answer. Re-asking a pod what it serves is not a push and is not counted.
 */
public final class PushMetrics {

    /**
     * {@code applied}: the pod answered that it serves the bundle; {@code refused}: it answered, but serves
     * something else (a 409, an older operator's render) or with an error status (401, 400, 413...);
     * {@code failed}: no answer (connection, TLS handshake, timeout).
     */
    public static final List<String> OUTCOMES = List.of("applied", "refused", "failed");

    /** A push carries a bundle of up to 8 MiB to a pod the operator reaches directly, with a 10 s timeout. */
    private static final Duration[] BUCKETS = {
        Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
        Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
        Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(10)
    };

    private final Map<String, Counter> pushes;
    private final Timer duration;

    public PushMetrics(MeterRegistry registry) {
        // Registered up front, so an alert on "failed" sees a 0 before the first one.
        this.pushes = OUTCOMES.stream().collect(Collectors.toUnmodifiableMap(Function.identity(),
                outcome -> Counter.builder("portico.operator.config.pushes").tag("outcome", outcome)
                        .description("Config bundles the operator pushed to proxy pods, by outcome")
                        .register(registry)));
        this.duration = Timer.builder("portico.operator.config.push.duration")
                .description("From sending a config push to the pod's answer, or to giving up")
                .serviceLevelObjectives(BUCKETS)
                .register(registry);
    }

    /** Meters no scrape will see: for an operator assembled without a registry (tests). */
    public static PushMetrics unexported() {
        return new PushMetrics(new SimpleMeterRegistry());
    }

    void pushed(String outcome, long nanos) {
        Counter counter = pushes.get(outcome);
        if (counter == null) {
            throw new IllegalArgumentException("not a push outcome: " + outcome);
        }
        counter.increment();
        duration.record(nanos, TimeUnit.NANOSECONDS);
    }
}
