package dev.portico.runtime.testing;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The WebSocket echo of {@link TestBackend}, driven by the JDK WebSocket client. */
@Timeout(30)
class TestBackendWebSocketTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private TestBackend backend;
    private final Recorder recorder = new Recorder();
    private WebSocket ws;

    @BeforeEach
    void connect() {
        backend = TestBackend.start("ws");
        ws = http.newWebSocketBuilder()
                .header("X-Trace", "t1")
                .buildAsync(URI.create("ws://127.0.0.1:" + backend.port() + "/chat?room=1"), recorder)
                .orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS)
                .join();
    }

    @AfterEach
    void stop() {
        ws.abort();
        backend.close();
    }

    @Test
    void upgradeRequestIsRecorded() {
        RecordedRequest recorded = backend.takeRequest();

        assertThat(recorded.method()).isEqualTo("GET");
        assertThat(recorded.uri()).isEqualTo("/chat?room=1");
        assertThat(recorded.header("Upgrade")).isEqualToIgnoringCase("websocket");
        assertThat(recorded.header("X-Trace")).isEqualTo("t1");
        assertThat(recorded.hasHeader("Sec-WebSocket-Key")).isTrue();
    }

    @Test
    void textAndBinaryMessagesAreEchoed() throws Exception {
        ws.sendText("hello", true).join();
        assertThat(recorder.next()).isEqualTo("text:hello");

        ws.sendBinary(ByteBuffer.wrap(new byte[] {1, 2, 3}), true).join();
        assertThat(recorder.next()).isEqualTo("binary:1,2,3");

        String big = "x".repeat(200_000);
        ws.sendText(big, true).join();
        StringBuilder echoed = new StringBuilder();
        while (echoed.length() < big.length()) {
            echoed.append(recorder.next().substring("text:".length()));
        }
        assertThat(echoed.toString()).isEqualTo(big);
    }

    @Test
    void byeMakesTheServerSendACloseFrame() throws Exception {
        ws.sendText("bye", true).join();

        assertThat(recorder.next()).isEqualTo("close:1000:bye");
    }

    @Test
    void closeMakesTheServerDropTheConnection() throws Exception {
        ws.sendText("close", true).join();

        // No Close frame: the JDK reports an abrupt end as an error (or, on some versions, as close 1006).
        assertThat(recorder.next()).matches("error:.*|close:1006:.*");
    }

    @Test
    void clientCloseIsAnswered() throws Exception {
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").join();

        assertThat(recorder.next()).isEqualTo("close:1000:done");
        org.awaitility.Awaitility.await().atMost(WAIT).until(() -> backend.openConnections() == 0);
    }

    /** Turns listener callbacks into a queue of strings a test can take in order. */
    private static final class Recorder implements WebSocket.Listener {

        private final BlockingQueue<String> events = new LinkedBlockingQueue<>();
        private final StringBuilder text = new StringBuilder();

        String next() throws InterruptedException {
            String event = events.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            if (event == null) {
                throw new AssertionError("no WebSocket event within " + WAIT.toSeconds() + " s");
            }
            return event;
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                events.add("text:" + text);
                text.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            StringBuilder bytes = new StringBuilder();
            while (data.hasRemaining()) {
                bytes.append(bytes.length() == 0 ? "" : ",").append(data.get());
            }
            events.add("binary:" + bytes);
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            events.add("close:" + statusCode + ":" + reason);
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            events.add("error:" + error);
        }
    }
}
