package dev.portico.runtime.admission;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.runtime.routing.RouteAction;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RedirectsTest {

    private static final RequestTarget TARGET = new RequestTarget("app.example.com:8080", "/old", "/old?a=1", "/old");

    @ParameterizedTest
    @CsvSource(nullValues = "-", value = {
        // scheme, hostname, port, path, tls, expected
        "-,     -,               -1,  -,    false, http://app.example.com:8080/old?a=1",
        "https, -,               -1,  -,    false, https://app.example.com/old?a=1",
        "-,     new.example.com, -1,  -,    false, http://new.example.com/old?a=1",
        "-,     -,               -1,  /new, true,  https://app.example.com:8080/new?a=1",
        "https, new.example.com, 443, /n,   false, https://new.example.com/n?a=1",
        "http,  new.example.com, 81,  /n,   false, http://new.example.com:81/n?a=1",
    })
    void keepsWhatTheRouteLeavesOutAndAlwaysTheQuery(String scheme, String hostname, int port, String path,
                                                      boolean tls, String expected) {
        var redirect = new RouteAction.Redirect(scheme, hostname, port, path, 302);

        assertThat(Redirects.location(redirect, TARGET, tls)).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource({
        "app.example.com:8080, /a?b=1, https://app.example.com/a?b=1",
        "app.example.com,      /,      https://app.example.com/",
        "[::1]:80,             /x,     https://[::1]/x",
    })
    void httpsRedirectDropsThePortAndKeepsPathAndQuery(String authority, String uri, String expected) {
        RequestTarget target = new RequestTarget(authority, uri.split("\\?")[0], uri, uri.split("\\?")[0]);

        assertThat(Redirects.toHttps(target)).isEqualTo(expected);
    }
}
