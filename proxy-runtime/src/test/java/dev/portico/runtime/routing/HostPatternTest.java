package dev.portico.runtime.routing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HostPatternTest {

    @ParameterizedTest(name = "[{index}] {0} is {1}")
    @CsvSource(textBlock = """
            example.com,       EXACT
            Example.COM,       EXACT
            *.example.com,     WILDCARD
            *.Example.COM,     WILDCARD
            *,                 ANY
            1.2.3.4,           EXACT
            """)
    void parseRecognisesTheThreeKinds(String text, HostPattern.Kind kind) {
        assertThat(HostPattern.parse(text).kind()).isEqualTo(kind);
    }

    @ParameterizedTest(name = "[{index}] {0} ~ {1} = {2}")
    @CsvSource(delimiter = '|', textBlock = """
            example.com    | example.com        | true
            Example.COM    | example.com        | true
            example.com    | www.example.com    | false
            example.com    | example.co         | false
            example.com    | xexample.com       | false
            example.com    | example.com.evil   | false
            *.example.com  | a.example.com      | true
            *.example.com  | www.example.com    | true
            *.Example.com  | api.example.com    | true
            *.example.com  | a.b.example.com    | false
            *.example.com  | example.com        | false
            *.example.com  | .example.com       | false
            *.example.com  | aexample.com       | false
            *.example.com  | a.example.com.evil | false
            *.example.com  | a.example.org      | false
            *              | example.com        | true
            *              | a.b.c.example.com  | true
            *              | 1.2.3.4            | true
            *              | ::1                | true
            *              | 2001:db8::1        | true
            *              | localhost          | true
            1.2.3.4        | 1.2.3.4            | true
            1.2.3.4        | 1.2.3.5            | false
            """)
    void matchesNormalisedHosts(String pattern, String host, boolean matches) {
        assertThat(HostPattern.parse(pattern).matches(host)).isEqualTo(matches);
    }

    @Test
    void anyMatchesTheEmptyHostOfAnHttp10RequestWithoutHost() {
        assertThat(HostPattern.parse("*").matches("")).isTrue();
        assertThat(HostPattern.parse("example.com").matches("")).isFalse();
        assertThat(HostPattern.parse("*.example.com").matches("")).isFalse();
    }
}
