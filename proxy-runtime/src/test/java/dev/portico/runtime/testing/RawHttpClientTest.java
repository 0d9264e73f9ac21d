package dev.portico.runtime.testing;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link RawHttpClient}'s parsing, against a canned server that sends exact bytes: framings {@link TestBackend} never
 * produces (no length, trailers, 103, truncation) are precisely the ones a proxy test may meet.
 */
@Timeout(30)
class RawHttpClientTest {

    @Test
    void bodyWithoutLengthRunsUntilClose() throws Exception {
        try (CannedServer server = new CannedServer("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end", true);
             RawHttpClient client = RawHttpClient.connect(server.port())) {

            RawResponse response = client.readResponse();

            assertThat(response.protocolVersion()).isEqualTo("HTTP/1.1");
            assertThat(response.reason()).isEqualTo("OK");
            assertThat(response.bodyText()).isEqualTo("until the end");
        }
    }

    @Test
    void chunkedBodyWithExtensionsAndTrailersThenAPipelinedResponse() throws Exception {
        String wire = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\nx-a: 2\r\n\r\n"
                + "4;ext=1\r\nWiki\r\n5\r\npedia\r\n0\r\nX-Checksum: abc\r\n\r\n"
                + "HTTP/1.1 204 No Content\r\n\r\n"
                + "HTTP/1.1 404\r\nContent-Length: 3\r\n\r\nnah";
        try (CannedServer server = new CannedServer(wire, false);
             RawHttpClient client = RawHttpClient.connect(server.port())) {

            RawResponse first = client.readResponse();
            RawResponse second = client.readResponse();
            RawResponse third = client.readResponse();

            assertThat(first.bodyText()).isEqualTo("Wikipedia");
            assertThat(first.headers("X-A")).containsExactly("1", "2");
            assertThat(first.headers()).extracting(HeaderField::name).containsExactly("Transfer-Encoding", "X-A", "x-a");
            assertThat(first.trailers()).containsExactly(new HeaderField("X-Checksum", "abc"));
            assertThat(second.status()).isEqualTo(204);
            assertThat(second.body()).isEmpty();
            assertThat(third.status()).isEqualTo(404);
            assertThat(third.reason()).isEmpty();
            assertThat(third.bodyText()).isEqualTo("nah");
        }
    }

    @Test
    void interimResponsesCanBeSeenOrSkipped() throws Exception {
        String wire = "HTTP/1.1 100 Continue\r\n\r\n"
                + "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
        try (CannedServer server = new CannedServer(wire + wire, false);
             RawHttpClient client = RawHttpClient.connect(server.port())) {

            assertThat(client.readInterimOrFinal().status()).isEqualTo(100);
            RawResponse hints = client.readInterimOrFinal();
            assertThat(hints.status()).isEqualTo(103);
            assertThat(hints.header("link")).isEqualTo("</style.css>; rel=preload");
            assertThat(client.readInterimOrFinal().bodyText()).isEqualTo("ok");

            RawResponse skipped = client.readResponse();
            assertThat(skipped.status()).isEqualTo(200);
            assertThat(skipped.bodyText()).isEqualTo("ok");
        }
    }

    @Test
    void switchingProtocolsIsAFinalResponse() throws Exception {
        try (CannedServer server = new CannedServer(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", false);
             RawHttpClient client = RawHttpClient.connect(server.port())) {

            assertThat(client.readResponse().status()).isEqualTo(101);
        }
    }

    @Test
    void truncatedBodyIsAnError() throws Exception {
        try (CannedServer server = new CannedServer("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", true);
             RawHttpClient client = RawHttpClient.connect(server.port())) {

            assertThatThrownBy(client::readResponse).isInstanceOf(EOFException.class)
                    .hasMessageContaining("3 of 10");
        }
    }

    @Test
    void stalledResponseHitsTheReadDeadline() throws Exception {
        try (CannedServer server = new CannedServer("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", false);
             RawHttpClient client = RawHttpClient.connect(server.port()).readTimeout(Duration.ofMillis(300))) {
            long start = System.nanoTime();

            assertThatThrownBy(client::readResponse).isInstanceOf(SocketTimeoutException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        }
    }

    @Test
    void isClosedByPeerDoesNotConsumePendingData() throws Exception {
        try (CannedServer server = new CannedServer("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false);
             RawHttpClient client = RawHttpClient.connect(server.port())) {

            assertThat(client.isClosedByPeer(Duration.ofSeconds(5))).isFalse();
            assertThat(client.readResponse().status()).isEqualTo(200);
            assertThat(client.isClosedByPeer(Duration.ofMillis(200))).isFalse();
        }
    }

    @Test
    void isClosedByPeerSeesTheClose() throws Exception {
        try (CannedServer server = new CannedServer("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", true);
             RawHttpClient client = RawHttpClient.connect(server.port())) {

            client.readResponse();

            assertThat(client.isClosedByPeer()).isTrue();
        }
    }

    /**
     * Accepts one connection, writes fixed bytes as soon as it connects, then closes it or holds it open until the
     * client goes (or 10 s pass). The thread is a daemon and every blocking call has a timeout.
     */
    private static final class CannedServer implements AutoCloseable {

        private final ServerSocket server;
        private final Thread thread;

        CannedServer(String wire, boolean closeAfterWriting) throws IOException {
            server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
            server.setSoTimeout(10_000);
            thread = new Thread(() -> serve(wire.getBytes(StandardCharsets.ISO_8859_1), closeAfterWriting),
                    "canned-server");
            thread.setDaemon(true);
            thread.start();
        }

        int port() {
            return server.getLocalPort();
        }

        private void serve(byte[] wire, boolean closeAfterWriting) {
            try (Socket socket = server.accept()) {
                socket.getOutputStream().write(wire);
                socket.getOutputStream().flush();
                if (!closeAfterWriting) {
                    socket.setSoTimeout(10_000);
                    InputStream in = socket.getInputStream();
                    while (in.read() != -1) {
                        // hold the connection until the client closes it
                    }
                }
            } catch (IOException e) {
                // the client went away or the test ended: nothing to report
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
