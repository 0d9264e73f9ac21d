package dev.portico.crds.validation;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.regex.Pattern;

/** IP literals and CIDRs, checked without ever resolving a name. */
final class IpAddresses {

    // No leading zeros: "010.0.0.1" is octal to some parsers and decimal to others.
    private static final Pattern IPV4 =
            Pattern.compile("(?:(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");

    private static final Pattern IPV6_CHARACTERS = Pattern.compile("[0-9A-Fa-f:.]+");

    private IpAddresses() {}

    static boolean isIpLiteral(String text) {
        return isIpv4(text) || isIpv6(text);
    }

    /** What is wrong with a CIDR ({@code 10.0.0.0/8}, {@code fd00::/8}) or a plain IP, if anything. */
    static Optional<String> cidrProblem(String cidr) {
        int slash = cidr.indexOf('/');
        String address = slash < 0 ? cidr : cidr.substring(0, slash);
        int maxPrefix;
        if (isIpv4(address)) {
            maxPrefix = 32;
        } else if (isIpv6(address)) {
            maxPrefix = 128;
        } else {
            return Optional.of("must be an IP address or a CIDR such as 10.0.0.0/8 or fd00::/8");
        }
        if (slash >= 0 && !isPrefixLength(cidr.substring(slash + 1), maxPrefix)) {
            return Optional.of("the prefix length must be 0.." + maxPrefix);
        }
        return Optional.empty();
    }

    private static boolean isIpv4(String text) {
        return IPV4.matcher(text).matches();
    }

    private static boolean isIpv6(String text) {
        if (!text.contains(":") || !IPV6_CHARACTERS.matcher(text).matches()) {
            return false;
        }
        try {
            // The brackets make the JDK parse a literal or fail; it never falls back to DNS.
            InetAddress.getByName("[" + text + "]");
            return true;
        } catch (UnknownHostException notALiteral) {
            return false;
        }
    }

    private static boolean isPrefixLength(String text, int max) {
        if (!text.matches("0|[1-9]\\d{0,2}")) {
            return false;
        }
        return Integer.parseInt(text) <= max;
    }
}
