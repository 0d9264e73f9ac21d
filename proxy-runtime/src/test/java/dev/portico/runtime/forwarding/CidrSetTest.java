package dev.portico.runtime.forwarding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CidrSetTest {

    @ParameterizedTest(name = "[{index}] {1} in {0} = {2}")
    @CsvSource(delimiter = '|', textBlock = """
            10.0.0.0/8               | 10.0.0.0          | true
            10.0.0.0/8               | 10.1.2.3          | true
            10.0.0.0/8               | 10.255.255.255    | true
            10.0.0.0/8               | 11.0.0.0          | false
            10.0.0.0/8               | 9.255.255.255     | false
            192.168.1.0/24           | 192.168.1.255     | true
            192.168.1.0/24           | 192.168.2.0       | false
            172.16.0.0/12            | 172.31.255.255    | true
            172.16.0.0/12            | 172.32.0.0        | false
            203.0.113.7              | 203.0.113.7       | true
            203.0.113.7              | 203.0.113.8       | false
            203.0.113.7/32           | 203.0.113.7       | true
            0.0.0.0/0                | 8.8.8.8           | true
            0.0.0.0/0                | ::1               | false
            10.0.0.0/8               | ::ffff:10.0.0.2   | true
            10.0.0.0/8               | fd00::1           | false
            fd00::/8                 | fd00::1           | true
            fd00::/8                 | fdff:ffff::1      | true
            fd00::/8                 | fe00::1           | false
            fd00::/8                 | 10.0.0.1          | false
            2001:db8::/32            | 2001:db8:ffff::1  | true
            2001:db8::/32            | 2001:db9::1       | false
            ::1                      | ::1               | true
            ::1/128                  | ::2               | false
            ::/0                     | 2001:db8::1       | true
            10.0.0.0/8,fd00::/8      | 10.9.9.9          | true
            10.0.0.0/8,fd00::/8      | fd00::9           | true
            10.0.0.0/8,fd00::/8      | 192.0.2.1         | false
            """)
    void containsAddressesOfItsIpv4AndIpv6Cidrs(String cidrs, String address, boolean contained) {
        CidrSet set = CidrSet.of(Arrays.asList(cidrs.split(",")));

        assertThat(set.contains(IpAddresses.parse(address))).isEqualTo(contained);
    }

    @Test
    void emptyOrAbsentContainsNothing() {
        assertThat(CidrSet.of(null).isEmpty()).isTrue();
        assertThat(CidrSet.of(List.of()).isEmpty()).isTrue();
        assertThat(CidrSet.EMPTY.contains(IpAddresses.parse("10.0.0.1"))).isFalse();
        assertThat(CidrSet.of(List.of("10.0.0.0/8")).isEmpty()).isFalse();
    }

    @Test
    void rejectsWhatIsNotACidr() {
        assertThatThrownBy(() -> CidrSet.of(List.of("example.com/8")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("example.com/8");
    }
}
