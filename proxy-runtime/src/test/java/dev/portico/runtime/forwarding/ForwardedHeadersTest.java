package dev.portico.runtime.forwarding;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.crds.v1alpha1.TrustedProxies;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ForwardedHeadersTest {

    private static final TrustPolicy TRUST_TEN = TrustPolicy.of(new TrustedProxies(List.of("10.0.0.0/8"), 0));

    /** Applies the forwarded headers for a request from {@code peer} to example.com:8443 over https. */
    private static HttpHeaders forward(HttpHeaders headers, String peer) {
        var resolution = ClientAddressResolver.resolve(TRUST_TEN, IpAddresses.parse(peer),
                headers.getAll(ForwardedHeaders.X_FORWARDED_FOR));
        ForwardedHeaders.apply(headers, resolution, peer, "https", "example.com:8443", 8443);
        return headers;
    }

    private static HttpHeaders claims() {
        return new DefaultHttpHeaders()
                .add("Host", "example.com:8443")
                .add("X-Forwarded-For", "6.6.6.6")
                .add("x-forwarded-for", "7.7.7.7, 8.8.8.8")
                .add("X-Forwarded-Proto", "http")
                .add("X-FORWARDED-HOST", "evil.example")
                .add("x-forwarded-port", "1")
                .add("X-Forwarded-Prefix", "/admin")
                .add("X-Forwarded-Ssl", "on")
                .add("X-Forwarded-Server", "evil")
                .add("X-Real-IP", "6.6.6.6")
                .add("x-real-ip", "9.9.9.9")
                .add("Forwarded", "for=6.6.6.6;proto=https")
                .add("FORWARDED", "for=7.7.7.7")
                .add("Accept", "*/*")
                .add("X-Forwardedfor-Note", "not a forwarded header")
                .add("X-Request-Id", "abc");
    }

    @Test
    void fromAnUntrustedPeerEveryClaimIsDroppedAndReplacedWithOurs() {
        HttpHeaders headers = forward(claims(), "203.0.113.9");

        assertThat(headers.getAll("X-Forwarded-For")).containsExactly("203.0.113.9");
        assertThat(headers.getAll("X-Forwarded-Proto")).containsExactly("https");
        assertThat(headers.getAll("X-Forwarded-Host")).containsExactly("example.com:8443");
        assertThat(headers.getAll("X-Forwarded-Port")).containsExactly("8443");
        assertThat(headers.getAll("X-Real-IP")).containsExactly("203.0.113.9");
        assertThat(headers.contains("Forwarded")).isFalse();
        assertThat(headers.contains("X-Forwarded-Prefix")).isFalse();
        assertThat(headers.contains("X-Forwarded-Ssl")).isFalse();
        assertThat(headers.contains("X-Forwarded-Server")).isFalse();
        assertThat(headers.getAll("Host")).containsExactly("example.com:8443");
        assertThat(headers.get("Accept")).isEqualTo("*/*");
        assertThat(headers.get("X-Request-Id")).isEqualTo("abc");
        assertThat(headers.get("X-Forwardedfor-Note")).isEqualTo("not a forwarded header");
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {"X-Forwarded-Prefix", "x-forwarded-prefix", "X-FORWARDED-URI", "X-Forwarded-Client-Cert",
            "x-Forwarded-Scheme", "X-Forwarded-", "Forwarded", "forwarded", "X-Real-Ip", "X-REAL-IP"})
    void fromAnUntrustedPeerAnyForwardedClaimIsDroppedWhateverItsCase(String name) {
        HttpHeaders headers = new DefaultHttpHeaders().add(name, "claim").add("Accept", "*/*");

        forward(headers, "203.0.113.9");

        assertThat(headers.getAll(name)).doesNotContain("claim");
        assertThat(headers.get("Accept")).isEqualTo("*/*");
    }

    @Test
    void fromAnUntrustedPeerWithoutClaimsOurHeadersAreSet() {
        HttpHeaders headers = forward(new DefaultHttpHeaders().add("Host", "example.com:8443"), "2001:db8::1");

        assertThat(headers.getAll("X-Forwarded-For")).containsExactly("2001:db8::1");
        assertThat(headers.getAll("X-Real-IP")).containsExactly("2001:db8::1");
        assertThat(headers.getAll("X-Forwarded-Proto")).containsExactly("https");
        assertThat(headers.getAll("X-Forwarded-Host")).containsExactly("example.com:8443");
        assertThat(headers.getAll("X-Forwarded-Port")).containsExactly("8443");
    }

    @Test
    void aTrustedPeerIsAppendedToTheChainAsReceived() {
        HttpHeaders headers = new DefaultHttpHeaders()
                .add("Host", "example.com:8443")
                .add("X-Forwarded-For", "1.2.3.4, 10.0.0.7");

        forward(headers, "10.0.0.2");

        assertThat(headers.getAll("X-Forwarded-For")).containsExactly("1.2.3.4, 10.0.0.7, 10.0.0.2");
        assertThat(headers.getAll("X-Real-IP")).containsExactly("1.2.3.4");
    }

    @Test
    void severalReceivedForwardedForHeadersBecomeOneChainWithThePeerLast() {
        HttpHeaders headers = new DefaultHttpHeaders()
                .add("X-Forwarded-For", "1.2.3.4")
                .add("x-forwarded-for", "5.6.7.8, 10.0.0.7");

        forward(headers, "10.0.0.2");

        assertThat(headers.getAll("X-Forwarded-For")).containsExactly("1.2.3.4, 5.6.7.8, 10.0.0.7, 10.0.0.2");
        assertThat(headers.getAll("X-Real-IP")).containsExactly("5.6.7.8");
    }

    @Test
    void aTrustedPeerWithoutAChainStartsOneAndIsTheClient() {
        HttpHeaders headers = forward(new DefaultHttpHeaders(), "10.0.0.2");

        assertThat(headers.getAll("X-Forwarded-For")).containsExactly("10.0.0.2");
        assertThat(headers.getAll("X-Real-IP")).containsExactly("10.0.0.2");
        assertThat(headers.getAll("X-Forwarded-Proto")).containsExactly("https");
    }

    @Test
    void aTrustedPeersSchemeHostAndPortAreKept() {
        HttpHeaders headers = new DefaultHttpHeaders()
                .add("Host", "example.com:8443")
                .add("X-Forwarded-For", "1.2.3.4")
                .add("X-Forwarded-Proto", "http")
                .add("X-Forwarded-Host", "www.example.com")
                .add("X-Forwarded-Port", "80");

        forward(headers, "10.0.0.2");

        assertThat(headers.getAll("X-Forwarded-Proto")).containsExactly("http");
        assertThat(headers.getAll("X-Forwarded-Host")).containsExactly("www.example.com");
        assertThat(headers.getAll("X-Forwarded-Port")).containsExactly("80");
        assertThat(headers.getAll("Host")).containsExactly("example.com:8443");
    }

    @Test
    void aTrustedPeersRealIpClaimIsReplacedByTheResolvedClient() {
        HttpHeaders headers = new DefaultHttpHeaders()
                .add("X-Forwarded-For", "6.6.6.6, 1.2.3.4")
                .add("X-Real-IP", "6.6.6.6");

        forward(headers, "10.0.0.2");

        assertThat(headers.getAll("X-Real-IP")).containsExactly("1.2.3.4");
    }

    @Test
    void theClientsHostIsKeptAsSent() {
        HttpHeaders headers = new DefaultHttpHeaders().add("Host", "Example.COM:8443");
        var resolution = ClientAddressResolver.resolve(TrustPolicy.NOBODY, IpAddresses.parse("203.0.113.9"), List.of());

        ForwardedHeaders.apply(headers, resolution, "203.0.113.9", "http", "Example.COM:8443", 8443);

        assertThat(headers.getAll("Host")).containsExactly("Example.COM:8443");
        assertThat(headers.getAll("X-Forwarded-Proto")).containsExactly("http");
    }
}
