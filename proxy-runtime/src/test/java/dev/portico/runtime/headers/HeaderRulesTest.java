package dev.portico.runtime.headers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.crds.v1alpha1.HeaderModifier;
import dev.portico.runtime.config.SiteConfig;
import dev.portico.runtime.config.SiteYaml;
import dev.portico.runtime.routing.RequestHeaderLookup;
import dev.portico.runtime.routing.RouteResult;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HeaderRulesTest {

    private static SiteConfig site(String spec) {
        return SiteYaml.compile(spec);
    }

    private static HeaderRules responseRules(SiteConfig site, String path) {
        var result = site.router().route("example.com", path, RequestHeaderLookup.NONE);
        return ((RouteResult.Matched) result).route().responseHeaders();
    }

    private static HeaderRules requestRules(SiteConfig site, String path) {
        var result = site.router().route("example.com", path, RequestHeaderLookup.NONE);
        return ((RouteResult.Matched) result).route().requestHeaders();
    }

    private static HttpHeaders upstream() {
        return new DefaultHttpHeaders()
                .add("Content-Type", "text/html")
                .add("X-A", "upstream")
                .add("X-Powered-By", "php");
    }

    @Test
    void removeThenSetThenAddWhateverTheOrderWritten() {
        SiteConfig site = site("""
                hosts: [example.com]
                routes:
                  - respond: {}
                    headers:
                      response:
                        add: {X-A: added}
                        set: {X-A: set}
                        remove: [X-A, X-Powered-By]
                """);
        HttpHeaders headers = upstream();

        responseRules(site, "/").apply(headers, false);

        assertThat(headers.getAll("X-A")).containsExactly("set", "added");
        assertThat(headers.contains("X-Powered-By")).isFalse();
        assertThat(headers.get("Content-Type")).isEqualTo("text/html");
    }

    @Test
    void setReplacesEveryValueAndAddAppends() {
        HeaderRules rules = HeaderRules.of(new HeaderModifier(Map.of("X-Set", "one"), Map.of("X-Add", "two"), List.of()));
        HttpHeaders headers = new DefaultHttpHeaders().add("X-Set", "a").add("x-set", "b").add("X-Add", "first");

        rules.apply(headers, false);

        assertThat(headers.getAll("X-Set")).containsExactly("one");
        assertThat(headers.getAll("X-Add")).containsExactly("first", "two");
    }

    @Test
    void namesAreCaseInsensitive() {
        HeaderRules rules = HeaderRules.of(new HeaderModifier(Map.of("content-type", "text/plain"), Map.of(),
                List.of("x-powered-by")));
        HttpHeaders headers = upstream();

        rules.apply(headers, false);

        assertThat(headers.getAll("Content-Type")).containsExactly("text/plain");
        assertThat(headers.contains("X-Powered-By")).isFalse();
    }

    @Test
    void routeRulesApplyBeforeSiteRules() {
        SiteConfig site = site("""
                hosts: [example.com]
                headers:
                  response:
                    set: {X-Who: site}
                    add: {X-Trace: site}
                    remove: [X-Route-Only]
                routes:
                  - respond: {}
                    headers:
                      response:
                        set: {X-Who: route, X-Route-Only: "1"}
                        add: {X-Trace: route}
                """);
        HttpHeaders headers = upstream();

        responseRules(site, "/").apply(headers, false);

        assertThat(headers.getAll("X-Who")).containsExactly("site");
        assertThat(headers.getAll("X-Trace")).containsExactly("route", "site");
        assertThat(headers.contains("X-Route-Only")).isFalse();
    }

    @Test
    void eachRouteGetsItsOwnRulesFollowedByTheSites() {
        SiteConfig site = site("""
                hosts: [example.com]
                headers:
                  response: {set: {X-Site: "1"}}
                routes:
                  - match: {path: {value: /a}}
                    respond: {}
                    headers: {response: {set: {X-Route: a}}}
                  - respond: {}
                """);
        HttpHeaders a = new DefaultHttpHeaders();
        HttpHeaders other = new DefaultHttpHeaders();

        responseRules(site, "/a/x").apply(a, false);
        responseRules(site, "/b").apply(other, false);

        assertThat(a.get("X-Route")).isEqualTo("a");
        assertThat(a.get("X-Site")).isEqualTo("1");
        assertThat(other.contains("X-Route")).isFalse();
        assertThat(other.get("X-Site")).isEqualTo("1");
    }

    @Test
    void theProxysOwnResponsesGetTheSiteRulesOnly() {
        SiteConfig site = site("""
                hosts: [example.com]
                headers:
                  response: {set: {X-Site: "1"}}
                routes:
                  - respond: {}
                    headers: {response: {set: {X-Route: a}}}
                """);
        HttpHeaders headers = new DefaultHttpHeaders();

        site.responseHeaders().apply(headers, false);

        assertThat(headers.get("X-Site")).isEqualTo("1");
        assertThat(headers.contains("X-Route")).isFalse();
    }

    @Test
    void requestRulesAreRouteThenSiteToo() {
        SiteConfig site = site("""
                hosts: [example.com]
                headers:
                  request:
                    set: {X-Env: site}
                    add: {X-Via: site}
                routes:
                  - backend: {service: b, port: 80}
                    headers:
                      request:
                        set: {X-Env: route}
                        add: {X-Via: route}
                        remove: [Cookie]
                """);
        HttpHeaders headers = new DefaultHttpHeaders().add("Cookie", "a=b").add("Accept", "*/*");

        requestRules(site, "/").apply(headers, false);

        assertThat(headers.getAll("X-Env")).containsExactly("site");
        assertThat(headers.getAll("X-Via")).containsExactly("route", "site");
        assertThat(headers.contains("Cookie")).isFalse();
        assertThat(headers.get("Accept")).isEqualTo("*/*");
    }

    @Test
    void noRulesChangeNothing() {
        HttpHeaders headers = upstream();

        HeaderRules.NONE.apply(headers, true);
        HeaderRules.of(null).apply(headers, true);

        assertThat(HeaderRules.of(null)).as("no modifier is the shared empty rule list").isSameAs(HeaderRules.NONE);
        assertThat(headers.names()).containsExactlyInAnyOrder("Content-Type", "X-A", "X-Powered-By");
    }

    @Test
    void thenKeepsBothListsInOrder() {
        Map<String, String> first = new LinkedHashMap<>();
        first.put("X-A", "1");
        HeaderRules a = HeaderRules.of(new HeaderModifier(Map.of(), first, List.of()));
        HeaderRules b = HeaderRules.of(new HeaderModifier(Map.of(), Map.of("X-A", "2"), List.of()));
        HttpHeaders headers = new DefaultHttpHeaders();

        a.then(b).then(HeaderRules.NONE).apply(headers, false);

        assertThat(headers.getAll("X-A")).containsExactly("1", "2");
    }
}
