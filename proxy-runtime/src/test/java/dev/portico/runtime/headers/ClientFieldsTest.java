package dev.portico.runtime.headers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.crds.v1alpha1.HeaderModifier;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class ClientFieldsTest {

    private static final HeaderRules RULES = HeaderRules.of(new HeaderModifier(Map.of("X-User", "proxy"),
            Map.of("X-Added", "1"), List.of("X-Internal")));
    private static final ClientFields DEFAULT = ClientFields.of(false, RULES);
    private static final ClientFields ALLOWED = ClientFields.of(true, RULES);

    @ParameterizedTest
    @CsvSource({
        // name, dropped by default, dropped when underscores are allowed
        "X_Forwarded_For, true, true", "x-forwarded_for, true, true", "X_REAL_IP, true, true",
        "X_Forwarded_Anything, true, true", "Content_Length, true, true", "Transfer_Encoding, true, true",
        "Content_Type, true, true", "Keep_Alive, true, true", "Proxy_Anything, true, true",
        "X_Http2_Stream_Id, true, true", "X_User, true, true", "x_added, true, true", "X_Internal, true, true",
        "X_Custom, true, false", "_, true, false", "X__Forwarded__For, true, false",
        "X-Forwarded-For, false, false", "X-Custom, false, false", "Accept, false, false"})
    void headerNamesWithUnderscores(String name, boolean droppedByDefault, boolean droppedWhenAllowed) {
        assertThat(afterHeaders(DEFAULT, name)).as("default").isEqualTo(!droppedByDefault);
        assertThat(afterHeaders(ALLOWED, name)).as("underscores allowed").isEqualTo(!droppedWhenAllowed);
    }

    @ParameterizedTest
    @ValueSource(strings = {"X-Forwarded-For", "X-Forwarded-Whatever", "X-Real-IP", "Forwarded", "Host",
        "Content-Length", "Transfer-Encoding", "Trailer", "TE", "Connection", "Keep-Alive", "Upgrade", "Expect",
        "Proxy-Authorization", "Authorization", "Cookie", "Cache-Control", "Pragma", "Max-Forwards", "Range",
        "If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since", "If-Range", "Accept",
        "Accept-Encoding", "Accept-Language", "Accept-Charset", "Content-Type", "Content-Encoding",
        "Content-Range", "Content-Language", "Content-Location", "X-Http2-Stream-Id", "X-User", "X-Added",
        "X-Internal", "x_forwarded_for", "HOST", "Content_Length", "x_user"})
    void trailersTheProxyOwnsOrTheRfcKeepsOut(String name) {
        assertThat(afterTrailers(DEFAULT, name)).isFalse();
        assertThat(afterTrailers(ALLOWED, name)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"X-Checksum", "Content-Digest", "Repr-Digest", "Digest", "Grpc-Trace-Bin"})
    void trailersThatAreWhatTrailersAreFor(String name) {
        assertThat(afterTrailers(DEFAULT, name)).isTrue();
        assertThat(afterTrailers(ALLOWED, name)).isTrue();
    }

    @Test
    void underscoreTrailersFollowTheSiteSetting() {
        assertThat(afterTrailers(DEFAULT, "X_Checksum")).isFalse();
        assertThat(afterTrailers(ALLOWED, "X_Checksum")).isTrue();
    }

    @Test
    void everySpellingOfADroppedNameGoesAndTheRestStaysInOrder() {
        HttpHeaders headers = new DefaultHttpHeaders()
                .add("A", "1").add("X_Forwarded_For", "x").add("x_forwarded_for", "y").add("B", "2")
                .add("X_Custom", "z");

        ALLOWED.filterHeaders(headers);

        assertThat(headers.names()).containsExactly("A", "B", "X_Custom");
    }

    private static boolean afterHeaders(ClientFields fields, String name) {
        HttpHeaders headers = new DefaultHttpHeaders().add(name, "v");
        fields.filterHeaders(headers);
        return headers.contains(name);
    }

    private static boolean afterTrailers(ClientFields fields, String name) {
        HttpHeaders trailers = new DefaultHttpHeaders().add(name, "v");
        fields.filterTrailers(trailers);
        return trailers.contains(name);
    }
}
