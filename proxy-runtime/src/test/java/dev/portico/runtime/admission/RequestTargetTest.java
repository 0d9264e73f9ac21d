package dev.portico.runtime.admission;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.runtime.routing.PathNormaliser;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RequestTargetTest {

    private static RequestTarget parse(HttpRequest request) {
        return RequestTarget.parse(request, PathNormaliser.REJECT_ESCAPED_SLASHES);
    }

    private static HttpRequest request(HttpVersion version, String uri, String... hosts) {
        HttpRequest request = new DefaultHttpRequest(version, HttpMethod.GET, uri);
        for (String host : hosts) {
            request.headers().add("Host", host);
        }
        return request;
    }

    @ParameterizedTest
    @CsvSource({
        "/,                       /,          '',                   /",
        "/a/b?x=1&y=2,            /a/b,       ?x=1&y=2,             /a/b?x=1&y=2",
        "/a%2db//c/../d,          /a-b/d,     '',                   /a-b/d",
        "/p?,                     /p,         ?,                    /p?",
        "/%69nternal/./x?a=%2e%2F/../&b=%zz, /internal/x, ?a=%2e%2F/../&b=%zz, /internal/x?a=%2e%2F/../&b=%zz",
        "/a/../b?/../c,           /b,         ?/../c,               /b?/../c",
    })
    void originFormNormalisesThePathAndKeepsTheQueryWhole(String raw, String path, String query, String uri) {
        RequestTarget target = parse(request(HttpVersion.HTTP_1_1, raw, "app.example.com:8443"));

        assertThat(target.authority()).isEqualTo("app.example.com:8443");
        assertThat(target.path()).isEqualTo(path);
        assertThat(target.query()).isEqualTo(query);
        assertThat(target.uri()).isEqualTo(uri);
        assertThat(target.rawPath()).isEqualTo(raw.split("\\?", 2)[0]);
        assertThat(target.hostWithoutPort()).isEqualTo("app.example.com");
    }

    @ParameterizedTest
    @CsvSource({"/a%2Fb", "/a%5cb", "/a%00", "/a\\b", "/a%", "/a%g0", "http://a/x/%2f", "http://a/x\\y"})
    void refusedPathsMakeTheTargetMalformed(String uri) {
        assertThat(parse(request(HttpVersion.HTTP_1_1, uri, "a"))).as(uri).isNull();
    }

    @Test
    void escapedSlashesAreKeptWhenTheSiteSaysSo() {
        RequestTarget target = RequestTarget.parse(request(HttpVersion.HTTP_1_1, "/g%2fp/../x?q=%2f", "a"),
                PathNormaliser.KEEP_ESCAPED_SLASHES);

        assertThat(target.path()).isEqualTo("/x");
        assertThat(target.uri()).isEqualTo("/x?q=%2f");
        assertThat(parse(request(HttpVersion.HTTP_1_1, "/g%2fp", "a"))).isNull();
        assertThat(RequestTarget.parse(request(HttpVersion.HTTP_1_1, "/g%2fp", "a"),
                PathNormaliser.KEEP_ESCAPED_SLASHES).path()).isEqualTo("/g%2Fp");
    }

    @Test
    void absoluteFormAgreeingWithHostBecomesOriginForm() {
        RequestTarget target = parse(request(HttpVersion.HTTP_1_1, "http://App.Example.com/x?q=1",
                "app.example.com"));

        assertThat(target.authority()).isEqualTo("App.Example.com");
        assertThat(target.uri()).isEqualTo("/x?q=1");
        assertThat(target.path()).isEqualTo("/x");
    }

    @Test
    void absoluteFormPathIsNormalisedToo() {
        RequestTarget target = parse(request(HttpVersion.HTTP_1_1, "http://a.example//%69nternal/../internal/x?q",
                "a.example"));

        assertThat(target.path()).isEqualTo("/internal/x");
        assertThat(target.uri()).isEqualTo("/internal/x?q");
        assertThat(target.rawPath()).isEqualTo("//%69nternal/../internal/x");
    }

    @Test
    void absoluteFormWithoutPathTargetsTheRoot() {
        assertThat(parse(request(HttpVersion.HTTP_1_1, "https://a.example", "a.example")).uri())
                .isEqualTo("/");
    }

    @Test
    void malformedTargetsAreRefused() {
        assertThat(parse(request(HttpVersion.HTTP_1_1, "http://evil.example/x", "app.example.com")))
                .as("absolute form naming another host").isNull();
        assertThat(parse(request(HttpVersion.HTTP_1_1, "/"))).as("HTTP/1.1 without Host").isNull();
        assertThat(parse(request(HttpVersion.HTTP_1_1, "/", "a", "b"))).as("two Hosts").isNull();
        assertThat(parse(request(HttpVersion.HTTP_1_1, "ftp://a/x", "a"))).as("other scheme").isNull();
        assertThat(parse(request(HttpVersion.HTTP_1_1, "*", "a"))).as("asterisk form").isNull();
    }

    @Test
    void http10MayOmitHost() {
        RequestTarget target = parse(request(HttpVersion.HTTP_1_0, "/x"));

        assertThat(target.authority()).isEmpty();
        assertThat(target.path()).isEqualTo("/x");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "''", "a.example, b.example", "user@a.example", "a.example/x", "::1", "a .example", "[zz::1]", "a.example:8x",
        "[::1]x",
    })
    void malformedHostIsRefused(String host) {
        assertThat(parse(request(HttpVersion.HTTP_1_1, "/", host))).as(host).isNull();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"a.example", "a.example:8443", "[::1]", "[::1]:80", "127.0.0.1:80", "xn--bcher-kva.example"})
    void wellFormedHostIsKept(String host) {
        assertThat(parse(request(HttpVersion.HTTP_1_1, "/", host)).authority()).isEqualTo(host);
    }

    @Test
    void controlCharactersInTheTargetOrAnAbsoluteAuthorityAreRefused() {
        assertThat(parse(request(HttpVersion.HTTP_1_1, "/a\u0000b", "a"))).isNull();
        assertThat(parse(request(HttpVersion.HTTP_1_1, "/a\u007fb", "a"))).isNull();
        assertThat(parse(request(HttpVersion.HTTP_1_0, "http://u@a/x"))).isNull();
    }
}
