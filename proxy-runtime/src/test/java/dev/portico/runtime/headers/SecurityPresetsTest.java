package dev.portico.runtime.headers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.runtime.config.SiteConfig;
import dev.portico.runtime.config.SiteYaml;
import dev.portico.runtime.routing.RequestHeaderLookup;
import dev.portico.runtime.routing.RouteResult;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SecurityPresetsTest {

    private static final String TLS = "tls: {certificates: [{secretName: s}]}";

    /** The response headers of the only route after applying its rules to a typical upstream response. */
    private static HttpHeaders respond(String spec, boolean tls) {
        SiteConfig site = SiteYaml.compile(spec);
        var route = ((RouteResult.Matched) site.router().route("example.com", "/", RequestHeaderLookup.NONE)).route();
        HttpHeaders headers = new DefaultHttpHeaders()
                .add("Content-Type", "text/html")
                .add("Server", "gunicorn")
                .add("X-Frame-Options", "SAMEORIGIN");
        route.responseHeaders().apply(headers, tls);
        return headers;
    }

    private static String strictSite(String extra) {
        return """
                hosts: [example.com]
                %s
                headers: {securityPreset: strict}
                routes:
                  - respond: {}
                """.formatted(extra);
    }

    @Test
    void strictAddsTheFiveHeadersAndRemovesServerOnTls() {
        HttpHeaders headers = respond(strictSite(TLS), true);

        assertThat(headers.getAll("Strict-Transport-Security")).containsExactly("max-age=63072000; includeSubDomains");
        assertThat(headers.getAll("X-Content-Type-Options")).containsExactly("nosniff");
        assertThat(headers.getAll("X-Frame-Options")).containsExactly("DENY");
        assertThat(headers.getAll("Referrer-Policy")).containsExactly("strict-origin-when-cross-origin");
        assertThat(headers.getAll("Permissions-Policy")).containsExactly("camera=(), microphone=(), geolocation=()");
        assertThat(headers.contains("Server")).isFalse();
        assertThat(headers.get("Content-Type")).isEqualTo("text/html");
    }

    @ParameterizedTest(name = "[{index}] tls block: {0}")
    @ValueSource(booleans = {true, false})
    void strictSendsNoHstsOverPlainHttp(boolean siteHasTls) {
        HttpHeaders headers = respond(strictSite(siteHasTls ? TLS : ""), false);

        assertThat(headers.contains("Strict-Transport-Security")).isFalse();
        assertThat(headers.getAll("X-Content-Type-Options")).containsExactly("nosniff");
        assertThat(headers.getAll("X-Frame-Options")).containsExactly("DENY");
        assertThat(headers.getAll("Referrer-Policy")).containsExactly("strict-origin-when-cross-origin");
        assertThat(headers.getAll("Permissions-Policy")).containsExactly("camera=(), microphone=(), geolocation=()");
        assertThat(headers.contains("Server")).isFalse();
    }

    @ParameterizedTest(name = "[{index}] {0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            {}                                                    | max-age=63072000
            {maxAge: 300}                                         | max-age=300
            {maxAge: 300, includeSubDomains: true}                | max-age=300; includeSubDomains
            {maxAge: 600, includeSubDomains: true, preload: true} | max-age=600; includeSubDomains; preload
            {includeSubDomains: false, preload: true}             | max-age=63072000; preload
            {maxAge: 0}                                           | max-age=0
            """)
    void strictTakesHstsFromTheSitesTlsBlock(String hsts, String value) {
        String tls = "tls: {certificates: [{secretName: s}], hsts: " + hsts + "}";

        assertThat(respond(strictSite(tls), true).getAll("Strict-Transport-Security")).containsExactly(value);
        assertThat(respond(strictSite(tls), false).contains("Strict-Transport-Security")).isFalse();
    }

    @Test
    void noneAddsNothingAndKeepsServer() {
        HttpHeaders headers = respond("""
                hosts: [example.com]
                %s
                headers: {securityPreset: none}
                routes:
                  - respond: {}
                """.formatted(TLS), true);

        assertThat(headers.names()).containsExactlyInAnyOrder("Content-Type", "Server", "X-Frame-Options");
        assertThat(headers.get("X-Frame-Options")).isEqualTo("SAMEORIGIN");
    }

    @Test
    void thePresetIsNoneByDefault() {
        HttpHeaders headers = respond("""
                hosts: [example.com]
                routes:
                  - respond: {}
                """, true);

        assertThat(headers.names()).containsExactlyInAnyOrder("Content-Type", "Server", "X-Frame-Options");
    }

    @Test
    void hstsWithoutAPresetIsStillSentOnTlsOnly() {
        String spec = """
                hosts: [example.com]
                tls: {certificates: [{secretName: s}], hsts: {maxAge: 100}}
                routes:
                  - respond: {}
                """;

        assertThat(respond(spec, true).getAll("Strict-Transport-Security")).containsExactly("max-age=100");
        assertThat(respond(spec, false).contains("Strict-Transport-Security")).isFalse();
        assertThat(respond(spec, true).contains("X-Content-Type-Options")).isFalse();
    }

    @Test
    void whatTheSiteSetsWinsOverThePreset() {
        HttpHeaders headers = respond("""
                hosts: [example.com]
                %s
                headers:
                  securityPreset: strict
                  response:
                    set: {x-frame-options: SAMEORIGIN, Referrer-Policy: no-referrer, Server: portico}
                routes:
                  - respond: {}
                """.formatted(TLS), true);

        assertThat(headers.getAll("X-Frame-Options")).containsExactly("SAMEORIGIN");
        assertThat(headers.getAll("Referrer-Policy")).containsExactly("no-referrer");
        assertThat(headers.getAll("Server")).containsExactly("portico");
        assertThat(headers.getAll("X-Content-Type-Options")).containsExactly("nosniff");
    }

    @Test
    void whatTheRouteSetsWinsOverThePreset() {
        HttpHeaders headers = respond("""
                hosts: [example.com]
                %s
                headers: {securityPreset: strict}
                routes:
                  - respond: {}
                    headers:
                      response:
                        set: {Strict-Transport-Security: max-age=60, Permissions-Policy: camera=(self)}
                """.formatted(TLS), true);

        assertThat(headers.getAll("Strict-Transport-Security")).containsExactly("max-age=60");
        assertThat(headers.getAll("Permissions-Policy")).containsExactly("camera=(self)");
        assertThat(headers.getAll("X-Frame-Options")).containsExactly("DENY");
        assertThat(headers.contains("Server")).isFalse();
    }

    @Test
    void aSiteCanOptOutOfOnePresetHeaderByRemovingIt() {
        HttpHeaders headers = respond("""
                hosts: [example.com]
                headers:
                  securityPreset: strict
                  response: {remove: [X-Frame-Options]}
                routes:
                  - respond: {}
                """, false);

        assertThat(headers.contains("X-Frame-Options")).isFalse();
        assertThat(headers.getAll("X-Content-Type-Options")).containsExactly("nosniff");
    }

    @Test
    void thePresetOverridesWhatTheUpstreamSent() {
        HttpHeaders headers = respond(strictSite(""), false);

        assertThat(headers.getAll("X-Frame-Options")).containsExactly("DENY");
    }

    @Test
    void theProxysOwnResponsesGetThePresetToo() {
        SiteConfig site = SiteYaml.compile(strictSite(TLS));
        HttpHeaders tls = new DefaultHttpHeaders().add("Server", "x");
        HttpHeaders plain = new DefaultHttpHeaders();

        site.responseHeaders().apply(tls, true);
        site.responseHeaders().apply(plain, false);

        assertThat(tls.get("Strict-Transport-Security")).isEqualTo("max-age=63072000; includeSubDomains");
        assertThat(tls.get("X-Frame-Options")).isEqualTo("DENY");
        assertThat(tls.contains("Server")).isFalse();
        assertThat(plain.contains("Strict-Transport-Security")).isFalse();
        assertThat(plain.get("X-Content-Type-Options")).isEqualTo("nosniff");
    }
}
