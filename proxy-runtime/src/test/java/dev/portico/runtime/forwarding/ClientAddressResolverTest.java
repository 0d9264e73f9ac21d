package dev.portico.runtime.forwarding;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.crds.v1alpha1.TrustedProxies;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ClientAddressResolverTest {

    private static final TrustPolicy CIDRS =
            TrustPolicy.of(new TrustedProxies(List.of("10.0.0.0/8", "fd00::/8"), 0));

    /** @param xff X-Forwarded-For headers separated by {@code |}; a comma list stays one header */
    private static ClientAddressResolver.Resolution resolve(TrustPolicy policy, String peer, String xff) {
        List<String> headers = xff == null ? List.of() : Arrays.asList(xff.split("\\|", -1));
        return ClientAddressResolver.resolve(policy, IpAddresses.parse(peer), headers);
    }

    @ParameterizedTest(name = "[{index}] {0} with {1}")
    @CsvSource(delimiter = ';', nullValues = "NULL", textBlock = """
            203.0.113.9  ; NULL
            203.0.113.9  ; 1.2.3.4
            203.0.113.9  ; 1.2.3.4, 10.0.0.2
            192.168.0.1  ; 10.0.0.2
            2001:db8::1  ; fd00::1
            11.0.0.1     ; 1.2.3.4
            """)
    void anUntrustedPeerIsTheClientWhateverXForwardedForSays(String peer, String xff) {
        ClientAddressResolver.Resolution resolution = resolve(CIDRS, peer, xff);

        assertThat(IpAddresses.format(resolution.client())).isEqualTo(IpAddresses.format(IpAddresses.parse(peer)));
        assertThat(resolution.peerTrusted()).isFalse();
    }

    @Test
    void nobodyIsTrustedByDefault() {
        ClientAddressResolver.Resolution resolution = resolve(TrustPolicy.NOBODY, "10.0.0.1", "1.2.3.4");

        assertThat(IpAddresses.format(resolution.client())).isEqualTo("10.0.0.1");
        assertThat(resolution.peerTrusted()).isFalse();
    }

    @ParameterizedTest(name = "[{index}] peer {0}, X-Forwarded-For {1} -> {2}")
    @CsvSource(delimiter = ';', nullValues = "NULL", textBlock = """
            10.0.0.1 ; NULL                                  ; 10.0.0.1
            10.0.0.1 ; ''                                    ; 10.0.0.1
            10.0.0.1 ; 1.2.3.4                               ; 1.2.3.4
            10.0.0.1 ; 1.2.3.4, 10.0.0.2                     ; 1.2.3.4
            10.0.0.1 ; 1.2.3.4,10.0.0.2,10.9.9.9             ; 1.2.3.4
            10.0.0.1 ; 6.6.6.6, 1.2.3.4, 10.0.0.2            ; 1.2.3.4
            10.0.0.1 ; 10.0.0.3, 10.0.0.2                    ; 10.0.0.3
            10.0.0.1 ; 10.0.0.2                              ; 10.0.0.2
            10.0.0.1 ; 1.2.3.4, garbage, 10.0.0.2            ; 10.0.0.2
            10.0.0.1 ; 1.2.3.4, unknown                      ; 10.0.0.1
            10.0.0.1 ; garbage                               ; 10.0.0.1
            10.0.0.1 ; 6.6.6.6 | 1.2.3.4                     ; 1.2.3.4
            10.0.0.1 ; 1.2.3.4 | 10.0.0.2                    ; 1.2.3.4
            10.0.0.1 ; 6.6.6.6, 1.2.3.4 | 10.0.0.2, 10.0.0.3 ; 1.2.3.4
            10.0.0.1 ; 1.2.3.4,, 10.0.0.2,                   ; 1.2.3.4
            10.0.0.1 ; ' , ' | 1.2.3.4                       ; 1.2.3.4
            10.0.0.1 ; 1.2.3.4:5678, 10.0.0.2:80             ; 1.2.3.4
            10.0.0.1 ; [2001:db8::1]:443, [fd00::2]:80       ; 2001:db8::1
            10.0.0.1 ; 2001:db8::1, fd00::2                  ; 2001:db8::1
            10.0.0.1 ; [2001:DB8::1]                         ; 2001:db8::1
            fd00::1  ; 1.2.3.4                               ; 1.2.3.4
            fd00::1  ; 2001:db8::7, fd12::3                  ; 2001:db8::7
            fd00::1  ; fd00::3, 10.0.0.2                     ; fd00::3
            10.0.0.1 ; 1.2.3.4, ::ffff:10.0.0.2              ; 1.2.3.4
            """)
    void behindTrustedCidrsTheClientIsTheRightMostUntrustedAddress(String peer, String xff, String client) {
        ClientAddressResolver.Resolution resolution = resolve(CIDRS, peer, xff);

        assertThat(IpAddresses.format(resolution.client())).isEqualTo(client);
        assertThat(resolution.peerTrusted()).isTrue();
    }

    @ParameterizedTest(name = "[{index}] hops {0}, X-Forwarded-For {1} -> {2}")
    @CsvSource(delimiter = ';', nullValues = "NULL", textBlock = """
            1 ; NULL                          ; 203.0.113.9
            1 ; 1.2.3.4                       ; 1.2.3.4
            1 ; 1.2.3.4, 5.6.7.8              ; 5.6.7.8
            2 ; 1.2.3.4, 5.6.7.8              ; 1.2.3.4
            2 ; 1.2.3.4, 5.6.7.8, 9.9.9.9     ; 5.6.7.8
            3 ; 1.2.3.4, 5.6.7.8, 9.9.9.9     ; 1.2.3.4
            3 ; 1.2.3.4, 5.6.7.8              ; 1.2.3.4
            5 ; 1.2.3.4                       ; 1.2.3.4
            2 ; 1.2.3.4 | 5.6.7.8             ; 1.2.3.4
            2 ; 1.2.3.4:99, [2001:db8::1]:80  ; 1.2.3.4
            1 ; 1.2.3.4, 10.0.0.2             ; 10.0.0.2
            2 ; 1.2.3.4, junk                 ; 203.0.113.9
            2 ; junk, 5.6.7.8                 ; 5.6.7.8
            """)
    void withHopsTheClientIsTheNthAddressFromTheRight(int hops, String xff, String client) {
        TrustPolicy policy = TrustPolicy.of(new TrustedProxies(List.of(), hops));

        ClientAddressResolver.Resolution resolution = resolve(policy, "203.0.113.9", xff);

        assertThat(IpAddresses.format(resolution.client())).isEqualTo(client);
        assertThat(resolution.peerTrusted()).isTrue();
    }

    @Test
    void severalHeadersAndCommaListsFormOneChainInOrder() {
        assertThat(ClientAddressResolver.entries(List.of("a, b", " c ", "", "d,,e")))
                .containsExactly("a", "b", "c", "d", "e");
        assertThat(ClientAddressResolver.entries(List.of())).isEmpty();
    }
}
