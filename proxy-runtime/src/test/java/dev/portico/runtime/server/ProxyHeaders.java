package dev.portico.runtime.server;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;

/**
 * PROXY protocol headers written by hand, byte for byte as the specification (haproxy's
 * doc/proxy-protocol.txt) lays them out, so that a test says exactly what a load balancer sent.
 */
final class ProxyHeaders {

    static final byte[] V2_SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

    private ProxyHeaders() {}

    /** A v1 line for a TCP connection from {@code source} to 127.0.0.1:{@code port}. */
    static String v1(String source, int port) {
        return (source.contains(":") ? "PROXY TCP6 " + source + " ::1 " : "PROXY TCP4 " + source + " 127.0.0.1 ")
                + "40000 " + port + "\r\n";
    }

    /** A v2 PROXY command over TCP from {@code source}:40000 to the same family's loopback:{@code port}. */
    static byte[] v2(String source, int port) {
        byte[] from = address(source);
        byte[] to = address(from.length == 4 ? "127.0.0.1" : "::1");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(V2_SIGNATURE);
        out.write(0x21);                                // version 2, PROXY
        out.write(from.length == 4 ? 0x11 : 0x21);      // AF_INET or AF_INET6, STREAM
        int length = 2 * from.length + 4;
        out.write(length >> 8);
        out.write(length & 0xFF);
        out.writeBytes(from);
        out.writeBytes(to);
        out.write(40000 >> 8);
        out.write(40000 & 0xFF);
        out.write(port >> 8);
        out.write(port & 0xFF);
        return out.toByteArray();
    }

    /** A v2 LOCAL command: the balancer's own connection (a health check), no address. */
    static byte[] v2Local() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(V2_SIGNATURE);
        out.write(0x20);                                // version 2, LOCAL
        out.write(0x00);                                // AF_UNSPEC
        out.write(0);
        out.write(0);
        return out.toByteArray();
    }

    /** {@code header} then {@code http} as one write: the first segment holds both. */
    static byte[] concat(byte[] header, String http) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(header);
        out.writeBytes(http.getBytes(StandardCharsets.ISO_8859_1));
        return out.toByteArray();
    }

    static String get(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: app.example.com\r\n\r\n";
    }

    private static byte[] address(String literal) {
        try {
            return InetAddress.getByName(literal).getAddress(); // a literal: no lookup
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(literal, e);
        }
    }
}
