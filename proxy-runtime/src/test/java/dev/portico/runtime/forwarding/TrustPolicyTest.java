package dev.portico.runtime.forwarding;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.crds.v1alpha1.TrustedProxies;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrustPolicyTest {

    @Test
    void absentTrustedProxiesTrustsNobody() {
        TrustPolicy policy = TrustPolicy.of(null);

        assertThat(policy.trustsPeer(IpAddresses.parse("10.0.0.1"))).isFalse();
        assertThat(policy.trustsPeer(IpAddresses.parse("127.0.0.1"))).isFalse();
    }

    @Test
    void normalisedDefaultTrustsNobody() {
        TrustPolicy policy = TrustPolicy.of(new TrustedProxies(List.of(), 0));

        assertThat(policy.trustsPeer(IpAddresses.parse("10.0.0.1"))).isFalse();
    }

    @Test
    void cidrsTrustOnlyPeersInside() {
        TrustPolicy policy = TrustPolicy.of(new TrustedProxies(List.of("10.0.0.0/8"), null));

        assertThat(policy.hops()).isZero();
        assertThat(policy.trustsPeer(IpAddresses.parse("10.0.0.1"))).isTrue();
        assertThat(policy.trustsPeer(IpAddresses.parse("203.0.113.1"))).isFalse();
    }

    @Test
    void hopsTrustEveryPeer() {
        TrustPolicy policy = TrustPolicy.of(new TrustedProxies(null, 2));

        assertThat(policy.trustsPeer(IpAddresses.parse("203.0.113.1"))).isTrue();
        assertThat(policy.trustsPeer(IpAddresses.parse("2001:db8::1"))).isTrue();
    }
}
