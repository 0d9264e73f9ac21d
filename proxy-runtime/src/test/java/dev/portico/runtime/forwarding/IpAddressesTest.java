package dev.portico.runtime.forwarding;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class IpAddressesTest {

    @ParameterizedTest(name = "[{index}] {0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            1.2.3.4                         | 1.2.3.4
            '  1.2.3.4  '                   | 1.2.3.4
            1.2.3.4:5678                    | 1.2.3.4
            0.0.0.0                         | 0.0.0.0
            255.255.255.255                 | 255.255.255.255
            ::1                             | ::1
            [::1]                           | ::1
            [::1]:8080                      | ::1
            2001:db8::1                     | 2001:db8::1
            2001:DB8:0:0:0:0:0:1            | 2001:db8::1
            [2001:db8::1]:443               | 2001:db8::1
            fd00::a:b                       | fd00::a:b
            ::ffff:10.0.0.2                 | 10.0.0.2
            """)
    void parsesIpLiteralsWithOrWithoutPorts(String entry, String formatted) {
        assertThat(IpAddresses.format(IpAddresses.parse(entry))).isEqualTo(formatted);
    }

    @ParameterizedTest(name = "[{index}] ''{0}''")
    @ValueSource(strings = {"", " ", "unknown", "_hidden", "example.com", "localhost", "1.2.3", "256.1.1.1",
            "1.2.3.4.5", "[::1", "[]", "[1.2.3.4", "::1::2", "1.2.3.4/8", "for=1.2.3.4", "-"})
    void anythingButAnIpLiteralIsNull(String entry) {
        assertThat(IpAddresses.parse(entry)).isNull();
    }
}
