package dev.portico.runtime.routing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;

class HostNamesTest {

    @ParameterizedTest(name = "[{index}] {0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            example.com                 | example.com
            Example.COM                 | example.com
            example.com:8080            | example.com
            EXAMPLE.com:443             | example.com
            example.com.                | example.com
            Example.Com.:8443           | example.com
            example.com:                | example.com
            localhost                   | localhost
            1.2.3.4                     | 1.2.3.4
            1.2.3.4:80                  | 1.2.3.4
            [::1]                       | ::1
            [::1]:8443                  | ::1
            [2001:DB8::1]               | 2001:db8::1
            [2001:db8::1]:80            | 2001:db8::1
            ::1                         | ::1
            2001:DB8::1                 | 2001:db8::1
            fe80::1:2                   | fe80::1:2
            """)
    void stripsPortTrailingDotAndCase(String authority, String host) {
        assertThat(HostNames.normalise(authority)).isEqualTo(host);
    }

    @ParameterizedTest
    @NullAndEmptySource
    void missingAuthorityIsTheEmptyHost(String authority) {
        assertThat(HostNames.normalise(authority)).isEmpty();
    }

    @Test
    void normaliseIsIdempotent() {
        for (String authority : new String[] {"Example.COM.:8080", "[2001:DB8::1]:80", "2001:db8::1", "a.b"}) {
            String once = HostNames.normalise(authority);
            assertThat(HostNames.normalise(once)).as(authority).isEqualTo(once);
        }
    }

    @ParameterizedTest(name = "[{index}] {0} -> {1}")
    @CsvSource(delimiter = '|', nullValues = "NULL", textBlock = """
            example.com:8080   | 8080
            example.com:1      | 1
            example.com:65535  | 65535
            example.com.:443   | 443
            1.2.3.4:80         | 80
            [::1]:8443         | 8443
            [2001:db8::1]:80   | 80
            example.com        | -1
            1.2.3.4            | -1
            [::1]              | -1
            ::1                | -1
            2001:db8::1:80     | -1
            example.com:       | -1
            example.com:0      | -1
            example.com:65536  | -1
            example.com:-1     | -1
            example.com:http   | -1
            example.com:99999999999 | -1
            [::1]x80           | -1
            NULL               | -1
            """)
    void portIsTheOneWrittenInTheAuthorityOrMinusOne(String authority, int port) {
        assertThat(HostNames.port(authority)).isEqualTo(port);
    }

    @Test
    void emptyAuthorityHasNoPort() {
        assertThat(HostNames.port("")).isEqualTo(-1);
    }
}
