package dev.portico.crds.units;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {

    @ParameterizedTest
    @CsvSource({
        "500ms, 500",
        "10s,   10000",
        "5m,    300000",
        "24h,   86400000",
        "1m30s, 90000",
        "1h30m, 5400000",
        "1h1m1s1ms, 3661001",
        "1.5s,  1500",
        "1.5h,  5400000",
        ".5s,   500",
        "2.s,   2000",
        "0,     0",
        "0s,    0",
        "300s,  300000",
        "1s1m,  61000",
    })
    void parsesGoStyleDurations(String text, long millis) {
        assertThat(Durations.parse(text)).isEqualTo(Duration.ofMillis(millis));
    }

    @Test
    void keepsSubMillisecondFractions() {
        assertThat(Durations.parse("1.5ms")).isEqualTo(Duration.ofNanos(1_500_000));
    }

    @ParameterizedTest
    @ValueSource(strings = {"10 sec", "10", "10S", "s", "1.5", "10us", "10ns", "1d", "1m 30s", " 10s", "10s ", "+10s", "ms", "1..5s", "abc"})
    void rejectsWhatIsNotADuration(String text) {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> Durations.parse(text))
                .withMessage("\"" + text + "\" is not a duration (use e.g. 500ms, 10s, 5m, 24h)");
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"  "})
    void requiresText(String text) {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> Durations.parse(text))
                .withMessageContaining("a duration is required");
    }

    @Test
    void rejectsNegativeDurations() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> Durations.parse("-5s"))
                .withMessageContaining("negative");
    }

    @Test
    void rejectsDurationsBeyondWhatJavaHolds() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> Durations.parse("99999999999999999999999h"))
                .withMessageContaining("too long");
    }

    @ParameterizedTest
    @CsvSource({
        "0,        0s",
        "1,        1ms",
        "500,      500ms",
        "1000,     1s",
        "1500,     1.5s",
        "60000,    1m",
        "90000,    1m30s",
        "300000,   5m",
        "3600000,  1h",
        "5400000,  1h30m",
        "86400000, 24h",
        "3600500,  1h500ms",
        "3661001,  1h1m1.001s",
    })
    void formatsCanonically(long millis, String text) {
        assertThat(Durations.format(Duration.ofMillis(millis))).isEqualTo(text);
    }

    @Test
    void formatsSubMillisecondFractions() {
        assertThat(Durations.format(Duration.ofNanos(1_500_000))).isEqualTo("1.5ms");
    }

    @ParameterizedTest
    @ValueSource(strings = {"500ms", "10s", "5m", "24h", "1m30s", "1h30m", "1.25s", "0.001ms", "100h59m59.999s"})
    void formatReadsBackToTheSameDuration(String text) {
        Duration duration = Durations.parse(text);

        assertThat(Durations.parse(Durations.format(duration))).isEqualTo(duration);
    }

    @Test
    void refusesToFormatNegativeDurations() {
        assertThatIllegalArgumentException().isThrownBy(() -> Durations.format(Duration.ofSeconds(-1)));
    }
}
