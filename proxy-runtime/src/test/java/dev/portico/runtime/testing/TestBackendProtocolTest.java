package dev.portico.runtime.testing;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.EOFException;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Connection-level behaviour of {@link TestBackend}, seen through {@link RawHttpClient}. */
@Timeout(30)
class TestBackendProtocolTest {

    private TestBackend backend;
    private RawHttpClient client;

    @BeforeEach
    void start() throws Exception {
        backend = TestBackend.start("raw");
        client = RawHttpClient.connect(backend.port());
    }

    @AfterEach
    void stop() throws Exception {
        client.close();
        backend.close();
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrderEvenWhenTheFirstIsSlow() throws Exception {
        client.send("GET /__slow?delayMs=200 HTTP/1.1\r\nHost: x\r\n\r\n"
                + "POST /second HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
                + "GET /__chunks?count=2&size=3&delayMs=50 HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /fourth HTTP/1.1\r\nHost: x\r\n\r\n");

        assertThat(client.readResponse().bodyText()).isEqualTo("ok raw GET /__slow?delayMs=200");
        RawResponse second = client.readResponse();
        assertThat(second.bodyText()).isEqualTo("ok raw POST /second");
        assertThat(second.header("X-Received-Bytes")).isEqualTo("5");
        assertThat(client.readResponse().bodyText()).isEqualTo("aaabbb");
        assertThat(client.readResponse().bodyText()).isEqualTo("ok raw GET /fourth");

        assertThat(backend.requests()).extracting(RecordedRequest::uri)
                .containsExactly("/__slow?delayMs=200", "/second", "/__chunks?count=2&size=3&delayMs=50", "/fourth");
        assertThat(backend.connectionsAccepted()).isEqualTo(1);
    }

    @Test
    void headResponseAnnouncesALengthButHasNoBody() throws Exception {
        client.send("HEAD /thing HTTP/1.1\r\nHost: x\r\n\r\nGET /thing HTTP/1.1\r\nHost: x\r\n\r\n");

        RawResponse head = client.readResponse(true);
        RawResponse get = client.readResponse();

        assertThat(head.status()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        assertThat(head.header("Content-Length")).isEqualTo(Integer.toString("ok raw HEAD /thing".length()));
        assertThat(get.bodyText()).isEqualTo("ok raw GET /thing");
    }

    @Test
    void expectContinueIsAnsweredBeforeTheBodyAndTheHeaderIsRecorded() throws Exception {
        client.send("PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");

        RawResponse interim = client.readInterimOrFinal();
        assertThat(interim.status()).isEqualTo(100);
        assertThat(interim.isInterim()).isTrue();

        RawResponse last = client.send("data").readInterimOrFinal();
        assertThat(last.status()).isEqualTo(200);
        assertThat(last.header("X-Received-Bytes")).isEqualTo("4");
        assertThat(backend.takeRequest().header("Expect")).isEqualTo("100-continue");

        // The interim response must not have upset the codec's request/response pairing for what follows.
        client.send("HEAD /x HTTP/1.1\r\nHost: x\r\n\r\nGET /y HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(client.readResponse(true).body()).isEmpty();
        assertThat(client.readResponse().bodyText()).isEqualTo("ok raw GET /y");
    }

    @Test
    void readResponseSkipsInterimResponses() throws Exception {
        client.send("POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\nhi");

        RawResponse response = client.readResponse();

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.bodyText()).isEqualTo("ok raw POST /e");
    }

    @Test
    void http10RequestGetsItsAnswerThenTheConnectionCloses() throws Exception {
        RawResponse response = client.send("GET /old HTTP/1.0\r\n\r\n").readResponse();

        assertThat(response.bodyText()).isEqualTo("ok raw GET /old");
        assertThat(backend.takeRequest().protocolVersion()).isEqualTo("HTTP/1.0");
        assertThat(client.isClosedByPeer()).isTrue();
    }

    @Test
    void connectionCloseIsHonoured() throws Exception {
        RawResponse response = client.send("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").readResponse();

        assertThat(response.header("Connection")).isEqualToIgnoringCase("close");
        assertThat(client.isClosedByPeer()).isTrue();
    }

    @Test
    void keepAliveConnectionStaysOpen() throws Exception {
        client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n").readResponse();

        assertThat(client.isClosedByPeer(Duration.ofMillis(200))).isFalse();
    }

    @Test
    void closeEndpointClosesWithoutAnswering() throws Exception {
        client.send("GET /__close HTTP/1.1\r\nHost: x\r\n\r\n");

        assertThatThrownBy(client::readResponse).isInstanceOf(EOFException.class)
                .hasMessageContaining("before a response");
        assertThat(backend.takeRequest().uri()).isEqualTo("/__close");
    }

    @Test
    void resetEndpointResetsTheConnection() throws Exception {
        client.send("GET /__reset HTTP/1.1\r\nHost: x\r\n\r\n");

        assertThatThrownBy(client::readResponse).isInstanceOf(SocketException.class)
                .hasMessageContaining("reset");
    }

    @Test
    void garbageEndpointAnswersWithSomethingThatIsNotHttp() throws Exception {
        client.send("GET /__garbage HTTP/1.1\r\nHost: x\r\n\r\n");

        assertThat(new String(client.readUntilClosed(), StandardCharsets.US_ASCII))
                .isEqualTo("this is not http\r\n\r\n");
    }

    @Test
    void abortedUploadIsRecordedAsIncomplete() throws Exception {
        client.send("POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n0123456789");
        client.close();

        RecordedRequest recorded = backend.takeRequest();
        assertThat(recorded.complete()).isFalse();
        assertThat(recorded.bodyLength()).isEqualTo(10);
        assertThat(recorded.bodyPrefixText()).isEqualTo("0123456789");
    }

    @Test
    void chunkedRequestWithDuplicateHeadersIsRecordedVerbatim() throws Exception {
        client.send("POST /c?a=%2F HTTP/1.1\r\nHost: x\r\nX-Twice: 1\r\nx-twice: 2\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
        client.readResponse();

        RecordedRequest recorded = backend.takeRequest();
        assertThat(recorded.uri()).isEqualTo("/c?a=%2F");
        assertThat(recorded.chunked()).isTrue();
        assertThat(recorded.bodyPrefixText()).isEqualTo("abcde");
        assertThat(recorded.headers()).extracting(HeaderField::name).containsSubsequence("X-Twice", "x-twice");
        assertThat(recorded.headers("X-TWICE")).containsExactly("1", "2");
    }

    @Test
    void malformedRequestGetsA400AndTheConnectionCloses() throws Exception {
        RawResponse response = client.send("NOT A REQUEST\r\n\r\n").readResponse();

        assertThat(response.status()).isEqualTo(400);
        assertThat(client.isClosedByPeer()).isTrue();
    }
}
