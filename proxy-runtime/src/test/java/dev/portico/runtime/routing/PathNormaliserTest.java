package dev.portico.runtime.routing;

import static dev.portico.runtime.routing.PathNormaliser.KEEP_ESCAPED_SLASHES;
import static dev.portico.runtime.routing.PathNormaliser.REJECT_ESCAPED_SLASHES;
import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.runtime.routing.PathNormaliser.Normalised;
import dev.portico.runtime.routing.PathNormaliser.Rejected;
import dev.portico.runtime.routing.PathNormaliser.Rejection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PathNormaliserTest {

    private static String normalised(PathNormaliser normaliser, String raw) {
        PathNormaliser.Result result = normaliser.normalise(raw);
        assertThat(result).as(raw).isInstanceOf(Normalised.class);
        return ((Normalised) result).path();
    }

    private static Rejection rejection(PathNormaliser normaliser, String raw) {
        PathNormaliser.Result result = normaliser.normalise(raw);
        assertThat(result).as(raw).isInstanceOf(Rejected.class);
        return ((Rejected) result).reason();
    }

    /** The same in both modes: nothing here holds an encoded slash. */
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        // already canonical: returned as is
        "/                                   | /",
        "/internal/x                         | /internal/x",
        "/a/b/                               | /a/b/",
        "/.well-known/acme-challenge/tok     | /.well-known/acme-challenge/tok",
        "/a/.b/..c/...                       | /a/.b/..c/...",
        "/a.b/c..d/e.                        | /a.b/c..d/e.",
        "/~user/file-name_1.txt              | /~user/file-name_1.txt",
        "/a;b=c/d:e@f!$&'()*+,=              | /a;b=c/d:e@f!$&'()*+,=",
        // percent-escapes of unreserved characters are decoded
        "/%69nternal/x                       | /internal/x",
        "/%49NTERNAL                         | /INTERNAL",
        "/%69%6E%74%65%72%6E%61%6C/x         | /internal/x",
        "/%69%6e%74%65%72%6e%61%6c/x         | /internal/x",
        "/%7Euser                            | /~user",
        "/%7euser                            | /~user",
        "/a%2Db%5Fc%2Ed%30                   | /a-b_c.d0",
        // other escapes are kept, hex upper-cased
        "/a%20b                              | /a%20b",
        "/a%3fb                              | /a%3Fb",
        "/a%3Fb                              | /a%3Fb",
        "/a%23b                              | /a%23b",
        "/a%25                               | /a%25",
        "/%c3%a9t%C3%A9                      | /%C3%A9t%C3%A9",
        "/%ff%FE                             | /%FF%FE",
        "/a%3bb                              | /a%3Bb",
        // decoded once only: a double-encoded dot stays what it is
        "/%252e%252e/internal                | /%252e%252e/internal",
        "/%25252F                            | /%25252F",
        "/%2525                              | /%2525",
        // dot segments (RFC 3986 5.2.4), also encoded
        "/./internal/x                       | /internal/x",
        "/a/../internal/x                    | /internal/x",
        "/a/b/../../internal/x               | /internal/x",
        "/a/./b                              | /a/b",
        "/a/b/.                              | /a/b/",
        "/a/b/..                             | /a/",
        "/a/b/../                            | /a/",
        "/.                                  | /",
        "/..                                 | /",
        "/../                                | /",
        "/../../../internal/x                | /internal/x",
        "/a/../../internal                   | /internal",
        "/%2e/internal                       | /internal",
        "/%2E/internal                       | /internal",
        "/%2E%2E/internal                    | /internal",
        "/%2e%2e/internal                    | /internal",
        "/a/.%2e/internal                    | /internal",
        "/a/%2e./internal                    | /internal",
        "/a/%2E%2e/%2e/internal              | /internal",
        "/.well-known/acme-challenge/../../internal/x | /internal/x",
        "/.well-known/acme-challenge/%2e%2e/%2e%2e/internal/x | /internal/x",
        "/a/b/c/./../../g                    | /a/g",
        "/mid/content=5/../6                 | /mid/6",
        // repeated slashes merged, a trailing slash kept
        "//internal/x                        | /internal/x",
        "/internal//x                        | /internal/x",
        "///internal///x///                  | /internal/x/",
        "//                                  | /",
        "/a//                                | /a/",
        "//./..//internal                    | /internal",
        "/a/.//b                             | /a/b",
        // bytes above 0x7F as received (Netty reads the request line as ISO-8859-1)
        "/caf\u00e9/                         | /caf\u00e9/",
    })
    void normalises(String raw, String expected) {
        assertThat(normalised(REJECT_ESCAPED_SLASHES, raw)).isEqualTo(expected);
        assertThat(normalised(KEEP_ESCAPED_SLASHES, raw)).isEqualTo(expected);
        assertThat(normalised(REJECT_ESCAPED_SLASHES, expected)).as("idempotent").isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', value = {
        "x                  | NOT_ABSOLUTE",
        "*                  | NOT_ABSOLUTE",
        "''                 | NOT_ABSOLUTE",
        "%2F                | NOT_ABSOLUTE",
        "/%                 | INVALID_ESCAPE",
        "/%4                | INVALID_ESCAPE",
        "/a%                | INVALID_ESCAPE",
        "/100%/x            | INVALID_ESCAPE",
        "/%zz               | INVALID_ESCAPE",
        "/%g1               | INVALID_ESCAPE",
        "/%1g               | INVALID_ESCAPE",
        "/%%41              | INVALID_ESCAPE",
        "/%\u0663\u0663     | INVALID_ESCAPE",
        "/%\uff11\uff11     | INVALID_ESCAPE",
        "/%00               | ENCODED_NUL",
        "/a%00.php          | ENCODED_NUL",
        "/a\\b              | BACKSLASH",
        "/..\\internal      | BACKSLASH",
        "\\internal         | NOT_ABSOLUTE",
        "/internal#/x       | FRAGMENT",
        "/x#/../internal    | FRAGMENT",
        "/a#                | FRAGMENT",
        "/a\u0000b          | CONTROL_CHARACTER",
        "/a\tb              | CONTROL_CHARACTER",
        "/a b               | CONTROL_CHARACTER",
        "/a\u007fb          | CONTROL_CHARACTER",
        "/a\rb              | CONTROL_CHARACTER",
    })
    void refusesInBothModes(String raw, Rejection reason) {
        assertThat(rejection(REJECT_ESCAPED_SLASHES, raw)).isEqualTo(reason);
        assertThat(rejection(KEEP_ESCAPED_SLASHES, raw)).isEqualTo(reason);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', value = {
        "/internal%2fx              | ENCODED_SLASH",
        "/internal%2Fx              | ENCODED_SLASH",
        "/%2F%2Finternal            | ENCODED_SLASH",
        "/a/..%2Finternal           | ENCODED_SLASH",
        "/%2e%2e%2finternal         | ENCODED_SLASH",
        "/internal%5cx              | ENCODED_BACKSLASH",
        "/internal%5Cx              | ENCODED_BACKSLASH",
        "/..%5Cinternal             | ENCODED_BACKSLASH",
    })
    void refusesEscapedSlashesByDefault(String raw, Rejection reason) {
        assertThat(rejection(REJECT_ESCAPED_SLASHES, raw)).isEqualTo(reason);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "/internal%2fx              | /internal%2Fx",
        "/internal%2Fx              | /internal%2Fx",
        "/a%5cb                     | /a%5Cb",
        "/group%2Fproject/issues    | /group%2Fproject/issues",
        // an escaped slash is no separator: these are ordinary segments, not dot segments
        "/a/..%2Finternal           | /a/..%2Finternal",
        "/a/%2e%2e%2finternal       | /a/..%2Finternal",
        "/a/%2e%2e%5cinternal       | /a/..%5Cinternal",
        "/a/%2F/../b                | /a/b",
        "/a//%2F//b                 | /a/%2F/b",
    })
    void keepsEscapedSlashesEncodedWhenTheSiteSaysSo(String raw, String expected) {
        assertThat(normalised(KEEP_ESCAPED_SLASHES, raw)).isEqualTo(expected);
        assertThat(normalised(KEEP_ESCAPED_SLASHES, expected)).as("idempotent").isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/", "/api/v1/users", "/a/b/", "/.well-known/x", "/a.b/..c"})
    void returnsACanonicalPathItself(String path) {
        assertThat(normalised(REJECT_ESCAPED_SLASHES, path)).isSameAs(path);
    }

    @Test
    void aKeptEscapedSlashDoesNotMatchAsASeparator() {
        PathMatcher internal = PathMatcher.prefix("/internal/");

        assertThat(internal.matches(normalised(KEEP_ESCAPED_SLASHES, "/internal%2Fx"))).isFalse();
        assertThat(internal.matches(normalised(KEEP_ESCAPED_SLASHES, "/%69nternal/x"))).isTrue();
    }
}
