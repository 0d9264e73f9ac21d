package dev.portico.runtime.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.runtime.config.SiteYaml;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Routers are built from YAML through the loader and {@code SiteCompiler}, as the runtime
 * builds them, and answer with the name of the matched route ({@code routes[i]}).
 */
class RouterTest {

    private static Router router(String spec) {
        return SiteYaml.compile(spec).router();
    }

    /** @param headers {@code Name=value} pairs separated by {@code ;}, or null */
    private static String route(Router router, String host, String path, String headers) {
        HttpHeaders request = new DefaultHttpHeaders();
        if (headers != null) {
            for (String pair : headers.split(";")) {
                int eq = pair.indexOf('=');
                request.add(pair.substring(0, eq), pair.substring(eq + 1));
            }
        }
        RouteResult result = router.route(HostNames.normalise(host), path,
                (name, value) -> request.getAll(name).contains(value));
        if (result instanceof RouteResult.Matched matched) {
            return matched.route().name();
        }
        return result.getClass().getSimpleName();
    }

    // ---- hosts ----------------------------------------------------------------------------

    private static final Router HOSTS = router("""
            hosts: [example.com, "*.example.com"]
            routes:
              - respond: {}
            """);

    @ParameterizedTest(name = "[{index}] {0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            example.com            | routes[0]
            EXAMPLE.com:8080       | routes[0]
            example.com.           | routes[0]
            www.example.com        | routes[0]
            API.Example.Com:443    | routes[0]
            a.b.example.com        | UnknownHost
            other.com              | UnknownHost
            example.com.evil       | UnknownHost
            notexample.com         | UnknownHost
            1.2.3.4                | UnknownHost
            [::1]:8080             | UnknownHost
            ''                     | UnknownHost
            """)
    void aHostOutsideSpecHostsIsUnknown(String host, String expected) {
        assertThat(route(HOSTS, host, "/", null)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(textBlock = """
            example.com
            a.b.c.example.org
            1.2.3.4
            1.2.3.4:8080
            [::1]:8080
            [2001:db8::1]
            localhost
            """)
    void starAloneMatchesAnyHostIncludingIpLiterals(String host) {
        Router router = router("""
                hosts: ["*"]
                routes:
                  - respond: {}
                """);

        assertThat(route(router, host, "/x", null)).isEqualTo("routes[0]");
    }

    @Test
    void aServedHostWithoutMatchingRouteIsNoRouteNotUnknownHost() {
        Router router = router("""
                hosts: [example.com]
                routes:
                  - match: {path: {type: Exact, value: /only}}
                    respond: {}
                """);

        assertThat(route(router, "example.com", "/only", null)).isEqualTo("routes[0]");
        assertThat(route(router, "example.com", "/", null)).isEqualTo("NoRoute");
        assertThat(route(router, "example.org", "/", null)).isEqualTo("UnknownHost");
    }

    private static final Router ROUTE_HOSTS = router("""
            hosts: [a.example.com, b.example.com, "*.example.org"]
            routes:
              - match: {hosts: [a.example.com], path: {value: /}}
                respond: {}
              - match: {hosts: ["*.example.org"], path: {value: /org}}
                respond: {}
              - match: {path: {value: /shared}}
                respond: {}
            """);

    @ParameterizedTest(name = "[{index}] {0}{1} -> {2}")
    @CsvSource(delimiter = '|', textBlock = """
            a.example.com     | /           | routes[0]
            A.Example.com:80  | /x          | routes[0]
            b.example.com     | /           | NoRoute
            b.example.com     | /x          | NoRoute
            b.example.com     | /shared     | routes[2]
            a.example.com     | /shared     | routes[2]
            x.example.org     | /org/page   | routes[1]
            x.example.org     | /           | NoRoute
            a.example.com     | /org        | routes[0]
            x.example.org     | /shared/y   | routes[2]
            """)
    void routeHostsRestrictARouteToSomeOfTheSiteHosts(String host, String path, String expected) {
        assertThat(route(ROUTE_HOSTS, host, path, null)).isEqualTo(expected);
    }

    private static final String HOST_PRECEDENCE = """
            hosts: ["*", "*.example.com", api.example.com]
            routes:
              - match: {hosts: ["*"]}
                respond: {}
              - match: {hosts: ["*.example.com"]}
                respond: {}
              - match: {hosts: [api.example.com]}
                respond: {}
            """;

    private static final String HOST_PRECEDENCE_REVERSED = """
            hosts: ["*", "*.example.com", api.example.com]
            routes:
              - match: {hosts: [api.example.com]}
                respond: {}
              - match: {hosts: ["*.example.com"]}
                respond: {}
              - match: {hosts: ["*"]}
                respond: {}
            """;

    @ParameterizedTest(name = "[{index}] {0} -> {1} / {2}")
    @CsvSource(delimiter = '|', textBlock = """
            api.example.com     | routes[2] | routes[0]
            API.example.com:443 | routes[2] | routes[0]
            www.example.com     | routes[1] | routes[1]
            a.b.example.com     | routes[0] | routes[2]
            example.com         | routes[0] | routes[2]
            10.0.0.1            | routes[0] | routes[2]
            [fd00::1]:8080      | routes[0] | routes[2]
            """)
    void exactHostBeatsWildcardBeatsStarWhateverTheOrderWritten(String host, String written, String reversed) {
        assertThat(route(router(HOST_PRECEDENCE), host, "/", null)).isEqualTo(written);
        assertThat(route(router(HOST_PRECEDENCE_REVERSED), host, "/", null)).isEqualTo(reversed);
    }

    @Test
    void aRouteRestrictedToTheRequestHostBeatsAnUnrestrictedOneAtTheSamePath() {
        Router router = router("""
                hosts: [example.com, admin.example.com]
                routes:
                  - respond: {}
                  - match: {hosts: [admin.example.com]}
                    respond: {}
                """);

        assertThat(route(router, "admin.example.com", "/", null)).isEqualTo("routes[1]");
        assertThat(route(router, "example.com", "/", null)).isEqualTo("routes[0]");
    }

    @Test
    void hostSpecificityComesBeforeHeaderConditions() {
        Router router = router("""
                hosts: ["*.example.com", api.example.com]
                routes:
                  - match: {hosts: ["*.example.com"], headers: [{name: X-Canary, value: "1"}]}
                    respond: {}
                  - match: {hosts: [api.example.com]}
                    respond: {}
                """);

        assertThat(route(router, "api.example.com", "/", "X-Canary=1")).isEqualTo("routes[1]");
        assertThat(route(router, "www.example.com", "/", "X-Canary=1")).isEqualTo("routes[0]");
        assertThat(route(router, "www.example.com", "/", null)).isEqualTo("NoRoute");
    }

    @Test
    void pathPrecedenceComesBeforeHostSpecificity() {
        Router router = router("""
                hosts: ["*", api.example.com]
                routes:
                  - match: {hosts: [api.example.com], path: {value: /}}
                    respond: {}
                  - match: {hosts: ["*"], path: {value: /v1}}
                    respond: {}
                """);

        assertThat(route(router, "api.example.com", "/v1/x", null)).isEqualTo("routes[1]");
        assertThat(route(router, "api.example.com", "/v2", null)).isEqualTo("routes[0]");
    }

    // ---- paths ----------------------------------------------------------------------------

    private static final Router PATHS = router("""
            hosts: [example.com]
            routes:
              - match: {path: {type: PathPrefix, value: /api}}
                respond: {}
              - match: {path: {type: PathPrefix, value: /api/v1/}}
                respond: {}
              - match: {path: {type: Exact, value: /api}}
                respond: {}
              - match: {path: {type: Exact, value: /api/v1/users}}
                respond: {}
              - match: {path: {value: /static}}
                respond: {}
              - match: {path: {type: RegularExpression, value: "/api/.*"}}
                respond: {}
              - match: {path: {type: RegularExpression, value: "/img/[a-z]+[.]png"}}
                respond: {}
              - match: {path: {type: RegularExpression, value: "/img/.*"}}
                respond: {}
              - match: {path: {type: Exact, value: /old}}
                respond: {}
              - match: {path: {type: PathPrefix, value: /a/b/c}}
                respond: {}
              - match: {path: {type: PathPrefix, value: /a/b}}
                respond: {}
              - match: {path: {type: RegularExpression, value: "/a/.*"}}
                respond: {}
            """);

    @ParameterizedTest(name = "[{index}] {0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            /api                 | routes[2]
            /api/                | routes[0]
            /api/x               | routes[0]
            /api/x/y             | routes[0]
            /apix                | NoRoute
            /api.json            | NoRoute
            /ap                  | NoRoute
            /API                 | NoRoute
            /api/v1              | routes[1]
            /api/v1/             | routes[1]
            /api/v1/orders       | routes[1]
            /api/v1/users        | routes[3]
            /api/v1/users/       | routes[1]
            /api/v1/users/7      | routes[1]
            /api/v10             | routes[0]
            /api/v1x/users       | routes[0]
            /static              | routes[4]
            /static/             | routes[4]
            /static/css/a.css    | routes[4]
            /staticky            | NoRoute
            /img/cat.png         | routes[6]
            /img/cat.jpg         | routes[7]
            /img/Cat.png         | routes[7]
            /img/cat.png/x       | routes[7]
            /x/img/cat.png       | NoRoute
            /img                 | NoRoute
            /old                 | routes[8]
            /old/                | NoRoute
            /older               | NoRoute
            /a/b/c/d             | routes[9]
            /a/b/c               | routes[9]
            /a/b/cd              | routes[10]
            /a/b                 | routes[10]
            /a/bc                | routes[11]
            /a/                  | routes[11]
            /                    | NoRoute
            """)
    void exactBeatsPrefixLongestPrefixWinsRegexesComeLast(String path, String expected) {
        assertThat(route(PATHS, "example.com", path, null)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "[{index}] {0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            /api%2Fv1            | NoRoute
            /api/v1%2Fusers      | routes[0]
            /api%2fv1/users      | NoRoute
            /%61pi               | NoRoute
            /api/v1/user%73      | routes[1]
            /api//v1             | routes[0]
            //api/v1             | NoRoute
            /api/../static       | routes[0]
            /static/../api       | routes[4]
            /api/./v1/users      | routes[0]
            /api/v1/./users      | routes[1]
            /old;x=1             | NoRoute
            """)
    void pathsAreMatchedRawWithoutDecodingOrNormalising(String path, String expected) {
        assertThat(route(PATHS, "example.com", path, null)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(textBlock = """
            /
            /x
            /x/y/z
            /%2e%2e/
            //
            """)
    void slashPrefixMatchesEverythingAndBeatsEveryRegex(String path) {
        Router router = router("""
                hosts: [example.com]
                routes:
                  - match: {path: {type: RegularExpression, value: "/.*"}}
                    respond: {}
                  - match: {path: {value: /}}
                    respond: {}
                """);

        assertThat(route(router, "example.com", path, null)).isEqualTo("routes[1]");
    }

    @Test
    void aTrailingSlashOnAPrefixMeansTheSameAsWithout() {
        String withSlash = """
                hosts: [example.com]
                routes:
                  - match: {path: {value: /api/}}
                    respond: {}
                """;
        Router router = router(withSlash);

        assertThat(route(router, "example.com", "/api", null)).isEqualTo("routes[0]");
        assertThat(route(router, "example.com", "/api/", null)).isEqualTo("routes[0]");
        assertThat(route(router, "example.com", "/api/x", null)).isEqualTo("routes[0]");
        assertThat(route(router, "example.com", "/apix", null)).isEqualTo("NoRoute");
    }

    @Test
    void equalPrefixesGoInTheOrderWritten() {
        Router router = router("""
                hosts: [example.com]
                routes:
                  - match: {path: {value: /api/}}
                    respond: {}
                  - match: {path: {value: /api}}
                    respond: {}
                """);

        assertThat(route(router, "example.com", "/api/x", null)).isEqualTo("routes[0]");
    }

    @Test
    void longestPrefixWinsWhateverTheOrderWritten() {
        Router router = router("""
                hosts: [example.com]
                routes:
                  - match: {path: {value: /}}
                    respond: {}
                  - match: {path: {value: /a}}
                    respond: {}
                  - match: {path: {value: /a/b/c}}
                    respond: {}
                  - match: {path: {value: /a/b}}
                    respond: {}
                """);

        assertThat(route(router, "example.com", "/a/b/c/d", null)).isEqualTo("routes[2]");
        assertThat(route(router, "example.com", "/a/b/x", null)).isEqualTo("routes[3]");
        assertThat(route(router, "example.com", "/a/x", null)).isEqualTo("routes[1]");
        assertThat(route(router, "example.com", "/b", null)).isEqualTo("routes[0]");
    }

    @Test
    void regularExpressionsMustMatchTheWholePath() {
        Router router = router("""
                hosts: [example.com]
                routes:
                  - match: {path: {type: RegularExpression, value: "/v[0-9]+"}}
                    respond: {}
                """);

        assertThat(route(router, "example.com", "/v12", null)).isEqualTo("routes[0]");
        assertThat(route(router, "example.com", "/v12/x", null)).isEqualTo("NoRoute");
        assertThat(route(router, "example.com", "/x/v12", null)).isEqualTo("NoRoute");
    }

    @Test
    void aRegexWrittenBeforeAPrefixIsStillTriedAfterIt() {
        Router router = router("""
                hosts: [example.com]
                routes:
                  - match: {path: {type: RegularExpression, value: "/api/.*"}}
                    respond: {}
                  - match: {path: {value: /api}}
                    respond: {}
                """);

        assertThat(route(router, "example.com", "/api/x", null)).isEqualTo("routes[1]");
    }

    // ---- headers --------------------------------------------------------------------------

    private static final Router HEADERS = router("""
            hosts: [example.com]
            routes:
              - match: {path: {value: /}}
                respond: {}
              - match: {path: {value: /}, headers: [{name: X-Canary, value: "1"}]}
                respond: {}
              - match: {path: {value: /}, headers: [{name: X-Canary, value: "1"}, {name: X-Beta, value: "yes"}]}
                respond: {}
              - match: {path: {value: /api}, headers: [{name: x-canary, value: "1"}]}
                respond: {}
              - match: {path: {type: Exact, value: /exact}, headers: [{name: X-Canary, value: "1"}]}
                respond: {}
            """);

    @ParameterizedTest(name = "[{index}] {0} {1} -> {2}")
    @CsvSource(delimiter = '|', textBlock = """
            /x      |                           | routes[0]
            /x      | X-Canary=1                | routes[1]
            /x      | x-canary=1                | routes[1]
            /x      | X-CANARY=1                | routes[1]
            /x      | X-Canary=2                | routes[0]
            /x      | X-Canary=10               | routes[0]
            /x      | X-Canary=                 | routes[0]
            /x      | X-Canary=2;X-Canary=1     | routes[1]
            /x      | X-Canary=1;X-Beta=yes     | routes[2]
            /x      | x-beta=yes;X-Canary=1     | routes[2]
            /x      | X-Canary=1;X-Beta=YES     | routes[1]
            /x      | X-Beta=yes                | routes[0]
            /x      | X-Other=1                 | routes[0]
            /api/x  | X-Canary=1                | routes[3]
            /api/x  | X-Canary=1;X-Beta=yes     | routes[3]
            /api/x  |                           | routes[0]
            /exact  | X-Canary=1                | routes[4]
            /exact  |                           | routes[0]
            """)
    void headerConditionsMustAllMatchAndMoreConditionsWinATie(String path, String headers, String expected) {
        assertThat(route(HEADERS, "example.com", path, headers)).isEqualTo(expected);
    }

    @Test
    void aRouteWithMoreHeaderConditionsWinsEvenWhenWrittenFirstOrLast() {
        Router router = router("""
                hosts: [example.com]
                routes:
                  - match: {path: {type: Exact, value: /e}, headers: [{name: A, value: "1"}]}
                    respond: {}
                  - match: {path: {type: Exact, value: /e}, headers: [{name: A, value: "1"}, {name: B, value: "2"}]}
                    respond: {}
                  - match: {path: {type: Exact, value: /e}}
                    respond: {}
                """);

        assertThat(route(router, "example.com", "/e", "A=1;B=2")).isEqualTo("routes[1]");
        assertThat(route(router, "example.com", "/e", "A=1")).isEqualTo("routes[0]");
        assertThat(route(router, "example.com", "/e", "B=2")).isEqualTo("routes[2]");
    }
}
