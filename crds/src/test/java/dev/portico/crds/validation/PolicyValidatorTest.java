package dev.portico.crds.validation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.crds.v1alpha1.SchemaPatterns;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The CRD's pattern for cors.allowOrigins against the validator's full rule. */
class PolicyValidatorTest {

    private static final Pattern ORIGIN = Pattern.compile(SchemaPatterns.CORS_ORIGIN);

    @ParameterizedTest
    @ValueSource(strings = {
        "*", "https://a.example.com", "HTTPS://*.Example.com:8443", "http://localhost:3000", "http://[::1]:8080",
        "capacitor://localhost", "http://10.0.0.1", "chrome-extension://abcdefghijklmnop",
    })
    void bothAcceptOrigins(String origin) {
        assertThat(PolicyValidator.isOriginPattern(origin)).as(origin).isTrue();
        assertThat(ORIGIN.matcher(origin).find()).as(origin).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "", "**", "a.example.com", "*.example.com", "https://a.example.com/", "https://", "null", "https://a b",
        "https://[::1", "https://a.example.com:123456", "1http://a.com", "https://a.*.example.com",
        "https://*.*.example.com", "https://user@a.com", "https://a.com?x", "https://a.com:0", "https://[10.0.0.1]",
        "https://*", "https://*.",
    })
    void theValidatorRefusesWhatIsNoOrigin(String text) {
        assertThat(PolicyValidator.isOriginPattern(text)).as(text).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"a.example.com", "*.example.com", "https://a.example.com/", "null", "https://a b",
        "https://user@a.com", "https://*"})
    void thePatternRefusesTheCommonMistakes(String text) {
        assertThat(ORIGIN.matcher(text).find()).as(text).isFalse();
    }
}
