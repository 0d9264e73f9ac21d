package dev.portico.runtime.balancing;

import static dev.portico.runtime.balancing.BalancingPoliciesTest.endpoints;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Ejection and re-admission arithmetic on a fake clock. */
class OutlierDetectorTest {

    long now = 1_000;
    final List<Endpoint> ejected = new ArrayList<>();

    OutlierDetector detector(int failures, int fivexx, int percent) {
        return new OutlierDetector(true, failures, fivexx, Duration.ofSeconds(10), Duration.ofSeconds(300), percent,
                () -> now, ejected::add);
    }

    void advance(Duration d) {
        now += d.toNanos();
    }

    @Test
    void consecutiveFailuresEjectAndASuccessInBetweenResetsTheCount() {
        List<Endpoint> three = endpoints(3);
        OutlierDetector detector = detector(3, 0, 50);
        Endpoint e = three.get(0);
        detector.failure(e, three);
        detector.failure(e, three);
        detector.response(e, 200, three);
        detector.failure(e, three);
        detector.failure(e, three);
        assertThat(e.ejected(now)).isFalse();
        detector.failure(e, three);
        assertThat(e.ejected(now)).isTrue();
        assertThat(ejected).containsExactly(e);
    }

    @Test
    void ejectionDoublesEachTimeUpToTheMaximumAndEndsOnItsOwn() {
        OutlierDetector detector = detector(1, 0, 50);
        assertThat(List.of(1, 2, 3, 4, 5, 6, 7).stream().map(n -> Duration.ofNanos(detector.ejectionNanos(n))))
                .containsExactly(Duration.ofSeconds(10), Duration.ofSeconds(20), Duration.ofSeconds(40),
                        Duration.ofSeconds(80), Duration.ofSeconds(160), Duration.ofSeconds(300),
                        Duration.ofSeconds(300));
        List<Endpoint> two = endpoints(2);
        Endpoint e = two.get(0);
        detector.failure(e, two);
        advance(Duration.ofSeconds(9));
        assertThat(e.ejected(now)).isTrue();
        advance(Duration.ofSeconds(1));
        assertThat(e.ejected(now)).isFalse(); // readmitted after 10 s
        detector.failure(e, two);
        advance(Duration.ofSeconds(19));
        assertThat(e.ejected(now)).isTrue(); // the second time 20 s
        advance(Duration.ofSeconds(1));
        assertThat(e.ejected(now)).isFalse();
    }

    @Test
    void anEndpointHealthyForTheMaximumEjectionTimeStartsOverAtTheBase() {
        OutlierDetector detector = detector(1, 0, 50);
        List<Endpoint> two = endpoints(2);
        Endpoint e = two.get(0);
        detector.failure(e, two);
        advance(Duration.ofSeconds(10));
        detector.failure(e, two); // 20 s
        advance(Duration.ofSeconds(20).plus(Duration.ofSeconds(301)));
        detector.failure(e, two);
        advance(Duration.ofSeconds(10));
        assertThat(e.ejected(now)).isFalse();
    }

    @Test
    void neverMoreThanTheShareAndNeverTheLastEndpoint() {
        assertThat(OutlierDetector.maxEjected(1, 100)).isZero();
        assertThat(OutlierDetector.maxEjected(2, 50)).isEqualTo(1);
        assertThat(OutlierDetector.maxEjected(10, 100)).isEqualTo(9);
        assertThat(OutlierDetector.maxEjected(10, 25)).isEqualTo(2);

        OutlierDetector detector = detector(1, 0, 50);
        List<Endpoint> four = endpoints(4);
        four.forEach(e -> detector.failure(e, four));
        assertThat(four.stream().filter(e -> e.ejected(now)).count()).isEqualTo(2);

        List<Endpoint> one = endpoints(1);
        detector(1, 0, 100).failure(one.get(0), one);
        assertThat(one.get(0).ejected(now)).isFalse();
    }

    @Test
    void fiveHundredsCountOnlyWhenConfigured() {
        List<Endpoint> two = endpoints(2);
        OutlierDetector ignoring = detector(1, 0, 50);
        for (int i = 0; i < 10; i++) {
            ignoring.response(two.get(0), 503, two);
        }
        assertThat(two.get(0).ejected(now)).isFalse();

        OutlierDetector counting = detector(5, 2, 50);
        counting.response(two.get(1), 503, two);
        counting.response(two.get(1), 404, two); // any non-5xx resets
        counting.response(two.get(1), 502, two);
        assertThat(two.get(1).ejected(now)).isFalse();
        counting.response(two.get(1), 500, two);
        assertThat(two.get(1).ejected(now)).isTrue();
    }

    @Test
    void disabledNeverEjects() {
        List<Endpoint> two = endpoints(2);
        for (int i = 0; i < 100; i++) {
            OutlierDetector.DISABLED.failure(two.get(0), two);
        }
        assertThat(two.get(0).ejected(System.nanoTime())).isFalse();
    }
}
