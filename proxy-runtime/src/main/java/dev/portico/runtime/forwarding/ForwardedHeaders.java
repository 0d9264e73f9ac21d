package dev.portico.runtime.forwarding;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;

/**
 * Writes the forwarded headers every backend gets. From an untrusted peer every incoming
 * X-Forwarded-*, X-Real-IP and Forwarded header is dropped first, so a client cannot
 * claim another address or scheme.
 */
public final class ForwardedHeaders {

    public static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
    public static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
    public static final AsciiString X_FORWARDED_HOST = AsciiString.cached("x-forwarded-host");
    public static final AsciiString X_FORWARDED_PORT = AsciiString.cached("x-forwarded-port");
    public static final AsciiString X_REAL_IP = AsciiString.cached("x-real-ip");
    private static final AsciiString FORWARDED = AsciiString.cached("forwarded");
    private static final String X_FORWARDED_PREFIX = "x-forwarded-";

    private ForwardedHeaders() {}

    /**
     * @param headers     the upstream request's headers, a copy of the client's
     * @param resolution  who the client is and whether the peer is trusted
     * @param peer        the TCP peer's address, as text
     * @param scheme      {@code http} or {@code https}: how the client reached us
     * @param host        the client's Host (authority as sent)
     * @param port        the port the client addressed
     */
    public static void apply(HttpHeaders headers, ClientAddressResolver.Resolution resolution, String peer,
                             String scheme, String host, int port) {
        if (!resolution.peerTrusted()) {
            dropClaims(headers);
            headers.set(X_FORWARDED_FOR, peer);
            headers.set(X_FORWARDED_PROTO, scheme);
            headers.set(X_FORWARDED_HOST, host);
            headers.set(X_FORWARDED_PORT, portText(port));
        } else {
            String chain = String.join(", ", headers.getAll(X_FORWARDED_FOR));
            headers.set(X_FORWARDED_FOR, chain.isEmpty() ? peer : chain + ", " + peer);
            setIfAbsent(headers, X_FORWARDED_PROTO, scheme);
            setIfAbsent(headers, X_FORWARDED_HOST, host);
            setIfAbsent(headers, X_FORWARDED_PORT, portText(port));
        }
        headers.set(X_REAL_IP, IpAddresses.format(resolution.client()));
        if (host != null && !host.isEmpty()) {
            headers.set(HttpHeaderNames.HOST, host);
        }
    }

    private static String portText(int port) {
        return port == 443 ? "443" : port == 80 ? "80" : Integer.toString(port);
    }

    private static void setIfAbsent(HttpHeaders headers, AsciiString name, String value) {
        if (!headers.contains(name)) {
            headers.set(name, value);
        }
    }

    private static void dropClaims(HttpHeaders headers) {
        headers.remove(X_REAL_IP);
        headers.remove(FORWARDED);
        if (!containsForwardedPrefix(headers)) {
            return;
        }
        headers.names().stream()
                .filter(name -> name.regionMatches(true, 0, X_FORWARDED_PREFIX, 0, X_FORWARDED_PREFIX.length()))
                .toList()
                .forEach(headers::remove);
    }

    private static boolean containsForwardedPrefix(HttpHeaders headers) {
        for (var it = headers.iteratorCharSequence(); it.hasNext(); ) {
            CharSequence name = it.next().getKey();
            if (name.length() >= X_FORWARDED_PREFIX.length()
                    && AsciiString.regionMatches(name, true, 0, X_FORWARDED_PREFIX, 0, X_FORWARDED_PREFIX.length())) {
                return true;
            }
        }
        return false;
    }
}
