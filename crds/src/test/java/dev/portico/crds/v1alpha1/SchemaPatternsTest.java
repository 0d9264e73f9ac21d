package dev.portico.crds.v1alpha1;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.crds.units.Durations;
import dev.portico.crds.units.Sizes;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The CRD's patterns must accept what the parsers accept and refuse what they refuse, so that
 * the API server and the runtime never disagree about the syntax. (Range checks, such as
 * "must be more than 0" or "too long", are the validator's alone.)
 */
class SchemaPatternsTest {

    @ParameterizedTest
    @ValueSource(strings = {
        "500ms", "10s", "5m", "24h", "1m30s", "1h1m1s1ms", "1.5s", ".5s", "2.s", "0", "0s", "300s", "1s1m",
        "", "10", "-1s", "1d", "1 s", "s", "1.5.5s", "1us", "1ns", "ms", ".s", "+1s", "1S", " 1s", "1s ", "00",
    })
    void durationPatternAgreesWithDurations(String text) {
        assertThat(matches(SchemaPatterns.DURATION, text)).as(text).isEqualTo(parses(() -> Durations.parse(text)));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "512Ki", "25Mi", "1Gi", "100", "0", "1k", "1M", "1e6", "1E3", "1e+3", "+1Ki", "1.5Gi", "0.5Ki", ".5Ki",
        "", "-1", "1KB", "1kb", "1 Mi", "Mi", "1i", "1m", "1.5.5", "1e", "1e1234", "0x10", " 1Ki", "1Ki ",
    })
    void sizePatternAgreesWithSizes(String text) {
        assertThat(matches(SchemaPatterns.SIZE, text)).as(text).isEqualTo(parses(() -> Sizes.parse(text)));
    }

    // The API server's pattern is a search, like find(); every pattern here is anchored.
    private static boolean matches(String pattern, String text) {
        return Pattern.compile(pattern).matcher(text).find();
    }

    private static boolean parses(Runnable parse) {
        try {
            parse.run();
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
