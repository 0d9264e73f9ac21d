package dev.portico.runtime.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RequestTargetTest {

    private static HttpRequest request(HttpVersion version, String uri, String... hosts) {
        HttpRequest request = new DefaultHttpRequest(version, HttpMethod.GET, uri);
        for (String host : hosts) {
            request.headers().add("Host", host);
        }
        return request;
    }

    @ParameterizedTest
    @CsvSource({
        "/,              /,        ''",
        "/a/b?x=1&y=2,   /a/b,     ?x=1&y=2",
        "/a%2Fb//c/../d, /a%2Fb//c/../d, ''",
        "/p?,            /p,       ?",
    })
    void originFormKeepsThePathRawAndTheQueryWhole(String uri, String path, String query) {
        RequestTarget target = RequestTarget.parse(request(HttpVersion.HTTP_1_1, uri, "app.example.com:8443"));

        assertThat(target.authority()).isEqualTo("app.example.com:8443");
        assertThat(target.path()).isEqualTo(path);
        assertThat(target.query()).isEqualTo(query);
        assertThat(target.uri()).isEqualTo(uri);
        assertThat(target.hostWithoutPort()).isEqualTo("app.example.com");
    }

    @Test
    void absoluteFormAgreeingWithHostBecomesOriginForm() {
        RequestTarget target = RequestTarget.parse(request(HttpVersion.HTTP_1_1, "http://App.Example.com/x?q=1",
                "app.example.com"));

        assertThat(target.authority()).isEqualTo("App.Example.com");
        assertThat(target.uri()).isEqualTo("/x?q=1");
        assertThat(target.path()).isEqualTo("/x");
    }

    @Test
    void absoluteFormWithoutPathTargetsTheRoot() {
        assertThat(RequestTarget.parse(request(HttpVersion.HTTP_1_1, "https://a.example", "a.example")).uri())
                .isEqualTo("/");
    }

    @Test
    void malformedTargetsAreRefused() {
        assertThat(RequestTarget.parse(request(HttpVersion.HTTP_1_1, "http://evil.example/x", "app.example.com")))
                .as("absolute form naming another host").isNull();
        assertThat(RequestTarget.parse(request(HttpVersion.HTTP_1_1, "/"))).as("HTTP/1.1 without Host").isNull();
        assertThat(RequestTarget.parse(request(HttpVersion.HTTP_1_1, "/", "a", "b"))).as("two Hosts").isNull();
        assertThat(RequestTarget.parse(request(HttpVersion.HTTP_1_1, "ftp://a/x", "a"))).as("other scheme").isNull();
        assertThat(RequestTarget.parse(request(HttpVersion.HTTP_1_1, "*", "a"))).as("asterisk form").isNull();
    }

    @Test
    void http10MayOmitHost() {
        RequestTarget target = RequestTarget.parse(request(HttpVersion.HTTP_1_0, "/x"));

        assertThat(target.authority()).isEmpty();
        assertThat(target.path()).isEqualTo("/x");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "''", "a.example, b.example", "user@a.example", "a.example/x", "::1", "a .example", "[zz::1]", "a.example:8x",
        "[::1]x",
    })
    void malformedHostIsRefused(String host) {
        assertThat(RequestTarget.parse(request(HttpVersion.HTTP_1_1, "/", host))).as(host).isNull();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"a.example", "a.example:8443", "[::1]", "[::1]:80", "127.0.0.1:80", "xn--bcher-kva.example"})
    void wellFormedHostIsKept(String host) {
        assertThat(RequestTarget.parse(request(HttpVersion.HTTP_1_1, "/", host)).authority()).isEqualTo(host);
    }

    @Test
    void controlCharactersInTheTargetOrAnAbsoluteAuthorityAreRefused() {
        assertThat(RequestTarget.parse(request(HttpVersion.HTTP_1_1, "/a\u0000b", "a"))).isNull();
        assertThat(RequestTarget.parse(request(HttpVersion.HTTP_1_1, "/a\u007fb", "a"))).isNull();
        assertThat(RequestTarget.parse(request(HttpVersion.HTTP_1_0, "http://u@a/x"))).isNull();
    }
}
