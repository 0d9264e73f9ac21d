package dev.portico.runtime.headers;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HopByHopHeadersTest {

    private static HttpHeaders endToEnd() {
        return new DefaultHttpHeaders()
                .add("Host", "example.com")
                .add("Content-Type", "text/plain")
                .add("Content-Length", "5")
                .add("Authorization", "Bearer x")
                .add("Cache-Control", "no-cache")
                .add("Cookie", "a=b")
                .add("X-Custom", "1")
                .add("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");
    }

    private static List<String> lines(HttpHeaders headers) {
        return headers.entries().stream()
                .map(e -> e.getKey().toLowerCase(Locale.ROOT) + ": " + e.getValue())
                .toList();
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {"Connection", "Keep-Alive", "keep-alive", "TE", "te", "Trailer", "Transfer-Encoding",
            "transfer-encoding", "Upgrade", "Proxy-Connection", "Proxy-Authorization", "Proxy-Authenticate",
            "proxy-authorization", "Proxy-Authentication-Info", "Proxy-Foo", "PROXY-BAR"})
    void removesEachHopByHopHeader(String name) {
        HttpHeaders headers = endToEnd().add(name, "x");

        HopByHopHeaders.strip(headers);

        assertThat(headers.contains(name)).isFalse();
        assertThat(lines(headers)).containsExactlyInAnyOrderElementsOf(lines(endToEnd()));
    }

    @Test
    void removesTheHeadersConnectionNames() {
        HttpHeaders headers = endToEnd()
                .add("Connection", "keep-alive, X-Secret")
                .add("Keep-Alive", "timeout=5")
                .add("X-Secret", "s");

        HopByHopHeaders.strip(headers);

        assertThat(headers.contains("Connection")).isFalse();
        assertThat(headers.contains("Keep-Alive")).isFalse();
        assertThat(headers.contains("X-Secret")).isFalse();
        assertThat(lines(headers)).containsExactlyInAnyOrderElementsOf(lines(endToEnd()));
    }

    @Test
    void readsEveryConnectionHeaderAndCommaListWhateverTheCaseAndSpacing() {
        HttpHeaders headers = endToEnd()
                .add("Connection", "close")
                .add("connection", "x-a ,X-B,, ")
                .add("CONNECTION", "X-C")
                .add("X-A", "1")
                .add("x-b", "2")
                .add("X-c", "3");

        HopByHopHeaders.strip(headers);

        assertThat(headers.contains("X-A")).isFalse();
        assertThat(headers.contains("X-B")).isFalse();
        assertThat(headers.contains("X-C")).isFalse();
        assertThat(headers.contains("Connection")).isFalse();
        assertThat(lines(headers)).containsExactlyInAnyOrderElementsOf(lines(endToEnd()));
    }

    @Test
    void aConnectionHeaderNamingNothingElseOnlyRemovesItself() {
        HttpHeaders headers = endToEnd().add("Connection", "close");

        HopByHopHeaders.strip(headers);

        assertThat(lines(headers)).containsExactlyInAnyOrderElementsOf(lines(endToEnd()));
    }

    @Test
    void theWebSocketUpgradeIsStrippedLikeAnyOtherSoTheProxyCanSetItAgain() {
        HttpHeaders headers = endToEnd().add("Connection", "Upgrade").add("Upgrade", "websocket");

        HopByHopHeaders.strip(headers);

        assertThat(headers.contains("Upgrade")).isFalse();
        assertThat(headers.contains("Connection")).isFalse();
        assertThat(headers.get("Sec-WebSocket-Key")).isEqualTo("dGhlIHNhbXBsZSBub25jZQ==");
    }

    @Test
    void endToEndHeadersAreKeptWithAllTheirValues() {
        HttpHeaders headers = endToEnd().add("X-Custom", "2").add("Transfer-Encoding", "chunked");

        HopByHopHeaders.strip(headers);

        assertThat(headers.getAll("X-Custom")).containsExactly("1", "2");
        assertThat(headers.get("Content-Length")).isEqualTo("5");
    }
}
