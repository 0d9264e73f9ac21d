package dev.portico.runtime.tls;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.runtime.testing.RunningProxy;
import dev.portico.runtime.testing.TestBackend;
import dev.portico.runtime.tls.TestCertificates.KeyFormat;
import io.netty.handler.codec.http2.Http2Error;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Frames on streams that are no longer open, answered as RFC 9113 5.1 and 5.1.1 say (h2spec cases
 * 5.1/6, 5.1/8-9, 5.1/11-12 and 5.1.1/2), frame by frame with {@link RawHttp2Client}. Netty alone forgets a
 * closed stream and answers all of them with RST_STREAM(STREAM_CLOSED); ClosedStreamGuard tells
 * the cases apart.
 *
 * <p>Routes: {@code /} is answered by the proxy at once, so a GET on it is closed both ways as
 * soon as the answer is out; {@code /__slow} waits 2 s at the backend, so its stream stays open
 * (or half-closed) meanwhile.
 */
@Timeout(60)
class Http2StreamStatesTest {

    private static final Duration SETTLE = Duration.ofMillis(300);
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String SLOW = "/__slow?delayMs=2000";

    static TestCertificates.Ca ca;
    @TempDir
    Path dir;
    TestBackend app;
    RunningProxy proxy;
    RawHttp2Client client;

    @BeforeAll
    static void certificates() {
        ca = TestCertificates.newCa("Portico Test CA");
    }

    @BeforeEach
    void start() throws Exception {
        TestCertificates.write(dir.resolve("secrets"), "site-tls",
                ca.issue(TestCertificates.leaf("site").ec().sans("localhost")), KeyFormat.TRADITIONAL);
        app = TestBackend.start("app");
        proxy = RunningProxy.start(dir, """
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: h2-states, generation: 1}
                spec:
                  hosts: ["localhost"]
                  tls:
                    certificates: [{secretName: site-tls}]
                  routes:
                    - match: {path: {value: /__slow}}
                      backend: {service: 127.0.0.1, port: %d}
                    - match: {path: {value: /}}
                      respond: {status: 200, body: "answered by the proxy\\n"}
                """.formatted(app.port()));
        client = RawHttp2Client.connect(ca, proxy.runtime().httpsPort());
    }

    @AfterEach
    void stop() throws Exception {
        try {
            if (client != null) {
                client.close();
            }
        } finally {
            proxy.close();
            app.close();
        }
    }

    @Test
    void headersOnAStreamBothSidesEndedIsAConnectionErrorStreamClosed() throws Exception {
        client.headers(1, "/", true).flush();
        assertThat(client.awaitEndOf(1)).isEqualTo("DATA 1 END_STREAM");

        client.headers(1, "/", true).flush();

        assertConnectionError(Http2Error.STREAM_CLOSED);
    }

    @Test
    void dataOnAStreamBothSidesEndedIsAConnectionErrorStreamClosed() throws Exception {
        client.headers(1, "/", true).flush();
        assertThat(client.awaitEndOf(1)).isEqualTo("DATA 1 END_STREAM");

        client.data(1, "late", true).flush();

        assertConnectionError(Http2Error.STREAM_CLOSED);
    }

    @Test
    void aNewStreamIdBelowOneUsedIsAConnectionErrorProtocolError() throws Exception {
        // Together, as h2spec sends them: stream 5 is opened, then 3, which 5 implicitly closed.
        client.headers(5, "/", true).headers(3, "/", true).flush();

        assertConnectionError(Http2Error.PROTOCOL_ERROR);
    }

    @Test
    void headersOnAHalfClosedRemoteStreamIsAStreamErrorStreamClosed() throws Exception {
        client.headers(1, SLOW, true).headers(1, SLOW, true).flush();

        assertThat(client.awaitEndOf(1)).isEqualTo("RST_STREAM 1 STREAM_CLOSED");
        assertConnectionServesOn(3);
    }

    @Test
    void framesOnAStreamTheClientResetGetAStreamErrorStreamClosed() throws Exception {
        client.headers(1, SLOW, false).rstStream(1, Http2Error.CANCEL).data(1, "late", true).flush();
        assertThat(client.awaitEndOf(1)).isEqualTo("RST_STREAM 1 STREAM_CLOSED");

        client.headers(1, SLOW, true).flush();
        assertThat(client.awaitEndOf(1)).isEqualTo("RST_STREAM 1 STREAM_CLOSED");

        assertConnectionServesOn(3);
    }

    @Test
    void framesOnAStreamTheServerResetGetAStreamErrorStreamClosed() throws Exception {
        // A WINDOW_UPDATE of 0 is a stream error: the proxy resets stream 1 itself.
        client.headers(1, SLOW, true).windowUpdate(1, 0).flush();
        assertThat(client.awaitEndOf(1)).isEqualTo("RST_STREAM 1 PROTOCOL_ERROR");

        client.headers(1, SLOW, true).flush();
        assertThat(client.awaitEndOf(1)).isEqualTo("RST_STREAM 1 STREAM_CLOSED");

        assertConnectionServesOn(3);
    }

    @Test
    void trailersOnAnOpenStreamAreStillServed() throws Exception {
        client.headers(1, "/", false).data(1, "body", false).trailers(1).flush();

        assertThat(client.awaitEndOf(1)).isEqualTo("DATA 1 END_STREAM");
        assertThat(client.seen(SETTLE)).contains("HEADERS 1 :status=200")
                .noneMatch(line -> line.startsWith("RST_STREAM") || line.startsWith("GOAWAY"));
        assertConnectionServesOn(3);
    }

    /**
     * The history is bounded: a stream id more than 1,024 client ids below the highest is no longer
     * remembered, and a frame on it gets Netty's milder stream error whatever became of it.
     */
    @Test
    void aStreamOlderThanTheHistoryGetsAStreamErrorStreamClosed() throws Exception {
        client.headers(1, "/", true).flush();
        assertThat(client.awaitEndOf(1)).isEqualTo("DATA 1 END_STREAM");
        int newer = 1 + 2 * 1024;
        client.headers(newer, "/", true).flush();
        assertThat(client.awaitEndOf(newer)).isEqualTo("DATA " + newer + " END_STREAM");

        client.headers(1, "/", true).flush();

        assertThat(client.awaitEndOf(1)).isEqualTo("RST_STREAM 1 STREAM_CLOSED");
        assertConnectionServesOn(newer + 2);
    }

    /** GOAWAY with {@code error}, then the connection closed, and no RST_STREAM in between. */
    private void assertConnectionError(Http2Error error) throws InterruptedException {
        String answer = client.await(line -> line.startsWith("GOAWAY") || line.startsWith("RST_STREAM"), WAIT,
                "GOAWAY");
        if (answer.startsWith("GOAWAY")) {
            client.await(RawHttp2Client.CLOSED::equals, WAIT, "close after the GOAWAY");
        }
        List<String> seen = client.seen(SETTLE);
        assertThat(answer).as("received: %s", seen).isEqualTo("GOAWAY " + error.name());
        assertThat(seen).noneMatch(line -> line.startsWith("RST_STREAM"));
    }

    /** A request on stream {@code id} is answered: the stream error left the connection alone. */
    private void assertConnectionServesOn(int id) throws InterruptedException {
        client.headers(id, "/", true).flush();
        assertThat(client.awaitEndOf(id)).isEqualTo("DATA " + id + " END_STREAM");
        assertThat(client.seen(SETTLE)).noneMatch(line -> line.startsWith("GOAWAY") || line.equals(RawHttp2Client.CLOSED));
    }
}
