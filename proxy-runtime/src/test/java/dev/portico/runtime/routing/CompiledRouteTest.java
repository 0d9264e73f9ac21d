package dev.portico.runtime.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.runtime.config.SiteYaml;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CompiledRouteTest {

    private static CompiledRoute routeFor(String spec, String path) {
        RouteResult result = SiteYaml.compile(spec).router().route("example.com", path, RequestHeaderLookup.NONE);
        assertThat(result).isInstanceOf(RouteResult.Matched.class);
        return ((RouteResult.Matched) result).route();
    }

    private static CompiledRoute rewriting(String prefix, String replacement) {
        return routeFor("""
                hosts: [example.com]
                routes:
                  - match: {path: {type: PathPrefix, value: "%s"}}
                    rewrite: {replacePrefixMatch: "%s"}
                    backend: {service: b, port: 80}
                """.formatted(prefix, replacement), prefix);
    }

    @ParameterizedTest(name = "[{index}] prefix {0} -> {1}: {2} goes up as {3}")
    @CsvSource(delimiter = '|', textBlock = """
            /api   | /     | /api            | /
            /api   | /     | /api/           | /
            /api   | /     | /api/x          | /x
            /api   | /     | /api/x/         | /x/
            /api   | /     | /api/x/y        | /x/y
            /api   | /v2   | /api            | /v2
            /api   | /v2   | /api/           | /v2/
            /api   | /v2   | /api/x          | /v2/x
            /api   | /v2   | /api/x/y        | /v2/x/y
            /api   | /v2/  | /api            | /v2/
            /api   | /v2/  | /api/           | /v2/
            /api   | /v2/  | /api/x          | /v2/x
            /api   | /v2/  | /api/x/y/       | /v2/x/y/
            /api/  | /     | /api            | /
            /api/  | /     | /api/x          | /x
            /api/  | /v2   | /api            | /v2
            /api/  | /v2   | /api/x          | /v2/x
            /api/  | /v2/  | /api/x          | /v2/x
            /a/b   | /c    | /a/b/d          | /c/d
            /a/b   | /c/d  | /a/b            | /c/d
            /      | /v2   | /               | /v2
            /      | /v2   | /x              | /v2/x
            /      | /v2   | /x/y            | /v2/x/y
            /      | /v2/  | /               | /v2/
            /      | /v2/  | /x              | /v2/x
            /      | /     | /               | /
            /      | /     | /x/y            | /x/y
            /api   | /v2   | /api/a%2Fb      | /v2/a%2Fb
            /api   | /v2   | /api/a/../b     | /v2/a/../b
            /api   | /v2   | /api//x         | /v2//x
            """)
    void replacePrefixMatchSwapsTheMatchedSegmentsWithoutDoublingSlashes(String prefix, String replacement,
                                                                        String path, String upstream) {
        assertThat(rewriting(prefix, replacement).upstreamPath(path)).isEqualTo(upstream);
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(textBlock = """
            /
            /api/x
            /api/a%2Fb
            /api/../etc/passwd
            //double//slashes
            /with;params
            /%7Euser/
            """)
    void withoutRewriteThePathGoesUpstreamExactlyAsReceived(String path) {
        CompiledRoute route = routeFor("""
                hosts: [example.com]
                routes:
                  - backend: {service: b, port: 80}
                """, "/");

        assertThat(route.upstreamPath(path)).isEqualTo(path);
    }
}
