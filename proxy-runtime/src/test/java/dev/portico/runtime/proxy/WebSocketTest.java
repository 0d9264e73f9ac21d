package dev.portico.runtime.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.portico.runtime.testing.RawHttpClient;
import dev.portico.runtime.testing.RawResponse;
import dev.portico.runtime.testing.RecordedRequest;
import dev.portico.runtime.testing.RunningProxy;
import dev.portico.runtime.testing.TestBackend;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * WebSocket through the proxy (API.md, Streaming): the JDK's own WebSocket client on one
 * side, the test backend's echo on the other, real sockets on loopback in between.
 */
class WebSocketTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;
    TestBackend backend;
    RunningProxy proxy;
    HttpClient http;

    @BeforeEach
    void start() {
        backend = TestBackend.start("ws");
        proxy = RunningProxy.start(dir, """
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: test, generation: 1}
                spec:
                  hosts: ["*"]
                  routes:
                    - match: {path: {value: /idle}}
                      backend: {service: 127.0.0.1, port: %1$d}
                      timeouts: {idle: 1s}
                    - match: {path: {value: /plain}}
                      backend: {service: 127.0.0.1, port: %1$d}
                      websocket: false
                    - match: {path: {value: /}}
                      backend: {service: 127.0.0.1, port: %1$d}
                """.formatted(backend.port()));
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterEach
    void stop() {
        proxy.close();
        backend.close();
    }

    @Test
    void textAndBinaryMessagesEchoAndTheUpgradeIsForwarded() throws Exception {
        Recorder recorder = new Recorder();
        WebSocket ws = open("/chat", recorder);

        ws.sendText("hello through the proxy", true).join();
        assertThat(recorder.nextText()).isEqualTo("hello through the proxy");
        ws.sendBinary(ByteBuffer.wrap(new byte[] {0, 1, 2, (byte) 0xff}), true).join();
        assertThat(recorder.nextBinary()).containsExactly(0, 1, 2, (byte) 0xff);

        RecordedRequest upgrade = backend.takeRequest();
        assertThat(upgrade.method()).isEqualTo("GET");
        assertThat(upgrade.uri()).isEqualTo("/chat");
        assertThat(upgrade.header("Upgrade")).isEqualToIgnoringCase("websocket");
        assertThat(upgrade.header("Connection")).isEqualToIgnoringCase("Upgrade");
        assertThat(upgrade.header("Host")).isEqualTo("127.0.0.1:" + proxy.httpPort());
        assertThat(upgrade.headers("X-Forwarded-For")).containsExactly("127.0.0.1");
        assertThat(upgrade.hasHeader("Sec-WebSocket-Key")).isTrue();
        ws.abort();
    }

    @Test
    void aOneMebibyteBinaryMessageEchoesIntact() throws Exception {
        byte[] big = new byte[1024 * 1024];
        new Random(42).nextBytes(big);
        Recorder recorder = new Recorder();
        WebSocket ws = open("/big", recorder);

        ws.sendBinary(ByteBuffer.wrap(big), true).join();

        assertThat(recorder.nextBinary()).isEqualTo(big);
        ws.abort();
    }

    @Test
    void aCloseStartedByTheServerReachesTheClient() throws Exception {
        Recorder recorder = new Recorder();
        WebSocket ws = open("/chat", recorder);

        ws.sendText("bye", true).join();

        assertThat(recorder.closed.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("1000 bye");
        // The JDK client answers the Close itself once onClose returns; the backend then hangs up.
        await().atMost(WAIT).until(() -> backend.openConnections() == 0);
    }

    @Test
    void aCloseStartedByTheClientReachesTheBackend() throws Exception {
        Recorder recorder = new Recorder();
        WebSocket ws = open("/chat", recorder);
        ws.sendText("ping", true).join();
        assertThat(recorder.nextText()).isEqualTo("ping");
        assertThat(backend.openConnections()).isEqualTo(1);

        ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").join();

        // The echo answers a Close with a Close and hangs up: both only happen if our Close got there.
        assertThat(recorder.closed.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("1000 done");
        await().atMost(WAIT).until(() -> backend.openConnections() == 0);
    }

    @Test
    void aClientThatDropsTheConnectionTakesTheUpstreamConnectionWithIt() throws Exception {
        Recorder recorder = new Recorder();
        WebSocket ws = open("/chat", recorder);
        ws.sendText("ping", true).join();
        assertThat(recorder.nextText()).isEqualTo("ping");

        ws.abort();

        await().atMost(WAIT).until(() -> backend.openConnections() == 0);
    }

    @Test
    void theRouteIdleTimeoutClosesASilentTunnel() throws Exception {
        Recorder recorder = new Recorder();
        WebSocket ws = open("/idle", recorder);
        ws.sendText("ping", true).join();
        assertThat(recorder.nextText()).isEqualTo("ping");
        long quietSince = System.nanoTime();

        await().atMost(WAIT).until(() -> recorder.ended.isDone());
        long closedAfterMs = (System.nanoTime() - quietSince) / 1_000_000;

        assertThat(closedAfterMs).as("idle timeout is 1s").isBetween(800L, 5_000L);
        await().atMost(WAIT).until(() -> backend.openConnections() == 0);
    }

    @Test
    void aTunnelWithTrafficOutlivesItsIdleTimeout() throws Exception {
        Recorder recorder = new Recorder();
        WebSocket ws = open("/idle", recorder);
        AtomicInteger sent = new AtomicInteger();
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
        try {
            ticker.scheduleAtFixedRate(() -> ws.sendText("tick " + sent.incrementAndGet(), true),
                    0, 300, TimeUnit.MILLISECONDS);

            // Twice the idle timeout, with a message every 300 ms: the tunnel must stay up throughout.
            await().during(Duration.ofMillis(2_200)).atMost(Duration.ofSeconds(5))
                    .until(() -> !recorder.ended.isDone());
        } finally {
            ticker.shutdownNow();
            ticker.awaitTermination(5, TimeUnit.SECONDS);
        }
        assertThat(sent.get()).isGreaterThanOrEqualTo(7);
        for (int i = 1; i <= sent.get(); i++) {
            assertThat(recorder.nextText()).isEqualTo("tick " + i);
        }
        ws.sendText("still here", true).join();
        assertThat(recorder.nextText()).isEqualTo("still here");
        ws.abort();
    }

    @Test
    void anUpgradeTheBackendRefusesIsAnOrdinaryResponseAndTheConnectionStaysHttp() throws Exception {
        try (RawHttpClient client = proxy.connect()) {
            // No Sec-WebSocket-Key: the echo answers 400 instead of 101.
            client.send("GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Version: 13\r\n\r\n");
            RawResponse refused = client.readResponse();
            assertThat(refused.status()).isEqualTo(400);
            assertThat(refused.hasHeader("Upgrade")).isFalse();

            client.send("GET /after HTTP/1.1\r\nHost: a\r\n\r\n");
            assertThat(client.readResponse().bodyText()).isEqualTo("ok ws GET /after");
        }
    }

    @Test
    void anHttp10UpgradeRequestIsRefusedWith400() throws Exception {
        try (RawHttpClient client = proxy.connect()) {
            client.send("GET /chat HTTP/1.0\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
            RawResponse response = client.readResponse();
            assertThat(response.status()).isEqualTo(400);
        }
        assertThat(backend.pollRequest(Duration.ofMillis(300))).isEmpty();
    }

    @Test
    void aRouteWithWebsocketFalseDoesNotForwardTheUpgrade() throws Exception {
        try (RawHttpClient client = proxy.connect()) {
            client.send("GET /plain HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
            RawResponse response = client.readResponse();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.bodyText()).isEqualTo("ok ws GET /plain");
            assertThat(response.hasHeader("Upgrade")).isFalse();
        }
        RecordedRequest seen = backend.takeRequest();
        assertThat(seen.method()).isEqualTo("GET");
        assertThat(seen.hasHeader("Upgrade")).isFalse();
        assertThat(seen.hasHeader("Connection")).isFalse();

        // The JDK client sees a failed handshake rather than a socket.
        assertThatThrownBy(() -> open("/plain", new Recorder()))
                .hasCauseInstanceOf(WebSocketHandshakeException.class);
    }

    @Test
    void aMessageTheBackendSendsTogetherWithThe101IsNotLost() throws Exception {
        // Servers that greet at once (graphql-ws, socket.io, ...) often put the 101 and the first
        // frame in one TCP segment; the proxy must not lose the bytes that follow the 101's head.
        try (ServerSocket greeter = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread server = new Thread(() -> greetOnce(greeter), "greeting-backend");
            server.setDaemon(true);
            server.start();
            proxy.reconfigure("""
                    apiVersion: portico.dev/v1alpha1
                    kind: ProxySite
                    metadata: {name: test, generation: 2}
                    spec:
                      hosts: ["*"]
                      routes:
                        - match: {path: {value: /}}
                          backend: {service: 127.0.0.1, port: %d}
                    """.formatted(greeter.getLocalPort()));
            Recorder recorder = new Recorder();
            WebSocket ws = open("/greet", recorder);

            assertThat(recorder.nextText()).isEqualTo("hello");
            ws.abort();
        }
    }

    /** Answers one upgrade with the 101 and a text frame "hello" in a single write, then waits for EOF. */
    private static void greetOnce(ServerSocket server) {
        try (Socket socket = server.accept()) {
            InputStream in = socket.getInputStream();
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    return;
                }
                head.append((char) b);
            }
            Matcher key = Pattern.compile("(?im)^Sec-WebSocket-Key:\\s*(\\S+)").matcher(head);
            if (!key.find()) {
                return;
            }
            String accept = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-1")
                    .digest((key.group(1) + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").getBytes(StandardCharsets.US_ASCII)));
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            answer.writeBytes(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Accept: " + accept + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            answer.writeBytes(new byte[] {(byte) 0x81, 5, 'h', 'e', 'l', 'l', 'o'});
            socket.getOutputStream().write(answer.toByteArray());
            socket.getOutputStream().flush();
            in.transferTo(OutputStream.nullOutputStream());
        } catch (IOException | NoSuchAlgorithmException e) {
            // The test fails on the client side.
        }
    }

    private WebSocket open(String path, Recorder recorder) {
        try {
            return http.newWebSocketBuilder()
                    .connectTimeout(Duration.ofSeconds(5))
                    .buildAsync(URI.create("ws://127.0.0.1:" + proxy.httpPort() + path), recorder)
                    .get(WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new CompletionException(e.getCause() != null ? e.getCause() : e);
        }
    }

    /** Collects whole messages (reassembling parts) and how the connection ended. */
    static final class Recorder implements WebSocket.Listener {

        final BlockingQueue<Object> messages = new LinkedBlockingQueue<>();
        /** "status reason" of a Close frame from the server. */
        final CompletableFuture<String> closed = new CompletableFuture<>();
        /** Completes on a Close frame or an error (e.g. the TCP connection dropped). */
        final CompletableFuture<Object> ended = new CompletableFuture<>();
        private final StringBuilder text = new StringBuilder();
        private final ByteArrayOutputStream binary = new ByteArrayOutputStream();

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                messages.add(text.toString());
                text.setLength(0);
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            byte[] bytes = new byte[data.remaining()];
            data.get(bytes);
            binary.writeBytes(bytes);
            if (last) {
                messages.add(binary.toByteArray());
                binary.reset();
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
            closed.complete(statusCode + " " + reason);
            ended.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            closed.completeExceptionally(error);
            ended.complete(error);
        }

        String nextText() throws InterruptedException {
            Object message = next();
            assertThat(message).isInstanceOf(String.class);
            return (String) message;
        }

        byte[] nextBinary() throws InterruptedException {
            Object message = next();
            assertThat(message).isInstanceOf(byte[].class);
            return (byte[]) message;
        }

        private Object next() throws InterruptedException {
            Object message = messages.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(message).as("a message within " + WAIT).isNotNull();
            return message;
        }
    }
}
