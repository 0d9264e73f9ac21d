package dev.portico.runtime.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.crds.v1alpha1.AccessControl;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The allow/deny decision on a resolved client address, IPv4 and IPv6. */
class AccessPolicyTest {

    @Test
    void noAccessControlPermitsEveryone() {
        assertThat(AccessPolicy.of(null).permits(ip("203.0.113.9"))).isTrue();
        assertThat(AccessPolicy.of(new AccessControl(List.of(), List.of())).permits(ip("2001:db8::1"))).isTrue();
    }

    @Test
    void denyOnlyRefusesTheListedRangesAndNothingElse() {
        AccessPolicy policy = AccessPolicy.of(new AccessControl(null, List.of("203.0.113.0/24", "2001:db8:bad::/48")));

        assertThat(policy.permits(ip("203.0.113.0"))).isFalse();
        assertThat(policy.permits(ip("203.0.113.255"))).isFalse();
        assertThat(policy.permits(ip("203.0.114.1"))).isTrue();
        assertThat(policy.permits(ip("198.51.100.1"))).isTrue();
        assertThat(policy.permits(ip("2001:db8:bad:ffff::1"))).isFalse();
        assertThat(policy.permits(ip("2001:db8:bae::1"))).isTrue();
    }

    @Test
    void allowOnlyRefusesEveryoneNotListed() {
        AccessPolicy policy = AccessPolicy.of(new AccessControl(List.of("10.0.0.0/8", "fd00::/8", "192.0.2.7"), null));

        assertThat(policy.permits(ip("10.255.0.1"))).isTrue();
        assertThat(policy.permits(ip("11.0.0.1"))).isFalse();
        assertThat(policy.permits(ip("192.0.2.7"))).isTrue();
        assertThat(policy.permits(ip("192.0.2.8"))).isFalse();
        assertThat(policy.permits(ip("fd12:3456::1"))).isTrue();
        assertThat(policy.permits(ip("fe80::1"))).isFalse();
        assertThat(policy.permits(ip("2001:db8::1"))).isFalse();
    }

    @Test
    void denyWinsOverAnOverlappingAllow() {
        AccessPolicy policy = AccessPolicy.of(new AccessControl(
                List.of("10.0.0.0/8", "2001:db8::/32"), List.of("10.1.0.0/16", "2001:db8:1::/48")));

        assertThat(policy.permits(ip("10.2.3.4"))).isTrue();
        assertThat(policy.permits(ip("10.1.3.4"))).isFalse();
        assertThat(policy.permits(ip("2001:db8:2::1"))).isTrue();
        assertThat(policy.permits(ip("2001:db8:1::1"))).isFalse();
    }

    @Test
    void anIpv4RangeDoesNotMatchIpv6ClientsAndTheOtherWayRound() {
        AccessPolicy v4Only = AccessPolicy.of(new AccessControl(List.of("0.0.0.0/0"), null));
        AccessPolicy v6Only = AccessPolicy.of(new AccessControl(List.of("::/0"), null));

        assertThat(v4Only.permits(ip("198.51.100.1"))).isTrue();
        assertThat(v4Only.permits(ip("2001:db8::1"))).isFalse();
        assertThat(v6Only.permits(ip("2001:db8::1"))).isTrue();
        assertThat(v6Only.permits(ip("198.51.100.1"))).isFalse();
    }

    static InetAddress ip(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(literal, e);
        }
    }
}
