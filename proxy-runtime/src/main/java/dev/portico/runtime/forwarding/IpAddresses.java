package dev.portico.runtime.forwarding;

import io.netty.util.NetUtil;
import java.net.InetAddress;

/** Parsing and printing of IP literals without ever touching DNS. */
public final class IpAddresses {

    private IpAddresses() {}

    /**
     * Parses one X-Forwarded-For entry: an IPv4 or IPv6 literal, optionally with a port
     * ({@code 1.2.3.4:5678}, {@code [::1]:80}). Returns null when it is not an address.
     */
    public static InetAddress parse(String entry) {
        String text = entry.trim();
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0) {
                return null;
            }
            text = text.substring(1, close);
        } else if (text.indexOf(':') > 0 && text.indexOf(':') == text.lastIndexOf(':') && text.indexOf('.') > 0) {
            text = text.substring(0, text.indexOf(':'));
        }
        return NetUtil.createInetAddressFromIpAddressString(text);
    }

    /** RFC 5952 text: {@code ::1}, not {@code 0:0:0:0:0:0:0:1}. */
    public static String format(InetAddress address) {
        return NetUtil.toAddressString(address);
    }
}
