package dev.portico.operator.e2e;

import dev.portico.runtime.testing.RawHttpClient;
import dev.portico.runtime.testing.RawResponse;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * What a browser or curl does against a proxy pod, on real sockets: TLS with SNI and ALPN,
 * HTTP/1.1 requests, and a WebSocket (RFC 6455, masked client frames) over either.
 */
final class Clients {

    private static final SecureRandom RANDOM = new SecureRandom();

    private Clients() {}

    /** A TLS connection to {@code address:port} for {@code sni}, offering {@code alpn} (none if empty). */
    static SSLSocket tls(SSLContext context, String address, int port, String sni, String... alpn) throws IOException {
        SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(address, port);
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setServerNames(List.of(new SNIHostName(sni)));
        if (alpn.length > 0) {
            parameters.setApplicationProtocols(alpn);
        }
        socket.setSSLParameters(parameters);
        socket.setSoTimeout(10_000);
        socket.startHandshake();
        return socket;
    }

    static X509Certificate peerLeaf(SSLSocket socket) throws IOException {
        return (X509Certificate) socket.getSession().getPeerCertificates()[0];
    }

    /** One request on an open connection, which stays open. */
    static RawResponse request(Socket socket, String method, String host, String target, String... headers)
            throws IOException {
        StringBuilder head = new StringBuilder(method + " " + target + " HTTP/1.1\r\nHost: " + host + "\r\n");
        for (String header : headers) {
            head.append(header).append("\r\n");
        }
        head.append("\r\n");
        return RawHttpClient.over(socket).send(head.toString()).readResponse();
    }

    /** A WebSocket opened by an HTTP/1.1 upgrade on {@code socket}. */
    static final class WebSocketSession {
        private final DataInputStream in;
        private final OutputStream out;
        final RawResponse handshake;

        private WebSocketSession(Socket socket, RawResponse handshake) throws IOException {
            this.in = new DataInputStream(socket.getInputStream());
            this.out = socket.getOutputStream();
            this.handshake = handshake;
        }

        static WebSocketSession open(Socket socket, String host, String path) throws IOException {
            byte[] nonce = new byte[16];
            RANDOM.nextBytes(nonce);
            String request = "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nUpgrade: websocket\r\n"
                    + "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: "
                    + java.util.Base64.getEncoder().encodeToString(nonce) + "\r\n\r\n";
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            return new WebSocketSession(socket, readHead(socket.getInputStream()));
        }

        /** Sends a text frame and returns the text frame that comes back (the test backends echo). */
        String echo(String text) throws IOException {
            byte[] payload = text.getBytes(StandardCharsets.UTF_8);
            if (payload.length > 125) {
                throw new IllegalArgumentException("short messages only");
            }
            byte[] mask = new byte[4];
            RANDOM.nextBytes(mask);
            out.write(0x81);
            out.write(0x80 | payload.length);
            out.write(mask);
            for (int i = 0; i < payload.length; i++) {
                out.write(payload[i] ^ mask[i % 4]);
            }
            out.flush();
            int opcode = in.readUnsignedByte() & 0x0f;
            int length = in.readUnsignedByte() & 0x7f;
            if (length == 126) {
                length = in.readUnsignedShort();
            }
            byte[] answer = new byte[length];
            in.readFully(answer);
            if (opcode != 1) {
                throw new IOException("expected a text frame, got opcode " + opcode);
            }
            return new String(answer, StandardCharsets.UTF_8);
        }
    }

    /** Reads a response head byte by byte, so nothing after it (WebSocket frames) is consumed. */
    private static RawResponse readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed before a response head: " + head);
            }
            head.append((char) b);
        }
        String[] lines = head.toString().split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        java.util.List<dev.portico.runtime.testing.HeaderField> headers = new java.util.ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.add(new dev.portico.runtime.testing.HeaderField(lines[i].substring(0, colon), lines[i].substring(colon + 1).trim()));
        }
        return new RawResponse(lines[0].split(" ")[0], status, lines[0], headers, new byte[0], List.of());
    }
}
