package dev.portico.runtime.routing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PathMatcherTest {

    @ParameterizedTest(name = "[{index}] prefix {0} ~ {1} = {2}")
    @CsvSource(delimiter = '|', textBlock = """
            /api     | /api        | true
            /api     | /api/       | true
            /api     | /api/x      | true
            /api     | /api/x/y    | true
            /api     | /apix       | false
            /api     | /ap         | false
            /api     | /API        | false
            /api     | /v1/api     | false
            /api     | /api%2Fx    | false
            /api/    | /api        | true
            /api/    | /api/       | true
            /api/    | /api/x      | true
            /api/    | /apix       | false
            /a/b     | /a/b/c      | true
            /a/b     | /a/bc       | false
            /a/b     | /a          | false
            /        | /           | true
            /        | /anything   | true
            /        | //          | true
            """)
    void prefixMatchesWholeSegments(String prefix, String path, boolean matches) {
        assertThat(PathMatcher.prefix(prefix).matches(path)).isEqualTo(matches);
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', textBlock = """
            /api     | 4
            /api/    | 4
            /a/b/c/  | 6
            /        | 1
            """)
    void prefixLengthIgnoresATrailingSlash(String prefix, int length) {
        assertThat(((PathMatcher.Prefix) PathMatcher.prefix(prefix)).length()).isEqualTo(length);
    }

    @ParameterizedTest(name = "[{index}] exact {0} ~ {1} = {2}")
    @CsvSource(delimiter = '|', textBlock = """
            /old     | /old        | true
            /old     | /old/       | false
            /old     | /Old        | false
            /old     | /old/x      | false
            /old/    | /old        | false
            /        | /           | true
            /        | /x          | false
            /a%20b   | /a%20b      | true
            /a%20b   | /a b        | false
            """)
    void exactMatchesTheWholeRawPathCaseSensitively(String value, String path, boolean matches) {
        assertThat(PathMatcher.exact(value).matches(path)).isEqualTo(matches);
    }

    @ParameterizedTest(name = "[{index}] regex {0} ~ {1} = {2}")
    @CsvSource(delimiter = '|', textBlock = """
            /v[0-9]+        | /v1          | true
            /v[0-9]+        | /v12         | true
            /v[0-9]+        | /v1/x        | false
            /v[0-9]+        | /x/v1        | false
            /v[0-9]+/.*     | /v1/x        | true
            .*\\.png        | /a/b.png     | true
            .*\\.png        | /a/b.png.txt | false
            /users/[^/]+    | /users/7     | true
            /users/[^/]+    | /users/7/x   | false
            """)
    void regexMustMatchTheWholePath(String regex, String path, boolean matches) {
        assertThat(PathMatcher.regex(regex).matches(path)).isEqualTo(matches);
    }
}
