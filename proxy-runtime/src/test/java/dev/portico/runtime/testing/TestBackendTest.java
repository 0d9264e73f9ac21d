package dev.portico.runtime.testing;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The request/response endpoints of {@link TestBackend}, driven by the JDK client as a well-behaved proxy would. */
@Timeout(30)
class TestBackendTest {

    private static final String EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private TestBackend backend;

    @BeforeEach
    void start() {
        backend = TestBackend.start("alpha");
    }

    @AfterEach
    void stop() {
        backend.close();
    }

    @Test
    void defaultEndpointNamesBackendAndRecordsTheRawRequest() throws Exception {
        HttpResponse<String> response = http.send(
                request("/some%2Fpath/x?q=a%20b&q=c").header("X-Dup", "1").header("X-Dup", "2").build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("ok alpha GET /some%2Fpath/x?q=a%20b&q=c");
        assertThat(response.headers().firstValue("Content-Type")).hasValue("text/plain");
        assertThat(response.headers().firstValue("X-Received-Bytes")).hasValue("0");
        assertThat(response.headers().firstValue("X-Received-Sha256")).hasValue(EMPTY_SHA256);

        RecordedRequest recorded = backend.takeRequest();
        assertThat(recorded.method()).isEqualTo("GET");
        assertThat(recorded.uri()).isEqualTo("/some%2Fpath/x?q=a%20b&q=c");
        assertThat(recorded.protocolVersion()).isEqualTo("HTTP/1.1");
        assertThat(recorded.header("host")).isEqualTo("127.0.0.1:" + backend.port());
        assertThat(recorded.headers("x-dup")).containsExactly("1", "2");
        assertThat(recorded.hasHeader("X-Missing")).isFalse();
        assertThat(recorded.bodyLength()).isZero();
        assertThat(recorded.bodySha256()).isEqualTo(EMPTY_SHA256);
        assertThat(recorded.chunked()).isFalse();
        assertThat(recorded.complete()).isTrue();
        assertThat(recorded.connectionId()).isEqualTo(1);
    }

    @Test
    void bodyIsDigestedWhileOnlyItsPrefixIsKept() throws Exception {
        byte[] body = new byte[200 * 1024];
        new Random(42).nextBytes(body);

        HttpResponse<String> response = http.send(
                request("/upload").POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofString());

        String sha = sha256(body);
        assertThat(response.headers().firstValue("X-Received-Bytes")).hasValue(Integer.toString(body.length));
        assertThat(response.headers().firstValue("X-Received-Sha256")).hasValue(sha);
        RecordedRequest recorded = backend.takeRequest();
        assertThat(recorded.bodyLength()).isEqualTo(body.length);
        assertThat(recorded.bodySha256()).isEqualTo(sha);
        assertThat(recorded.bodyPrefix()).isEqualTo(Arrays.copyOf(body, 64 * 1024));
        assertThat(recorded.chunked()).isFalse();
        assertThat(recorded.header("Content-Length")).isEqualTo(Integer.toString(body.length));
    }

    @Test
    void chunkedUploadIsRecordedAsChunked() throws Exception {
        byte[] body = "streamed without a length".getBytes();

        http.send(request("/stream")
                        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body)))
                        .build(),
                HttpResponse.BodyHandlers.discarding());

        RecordedRequest recorded = backend.takeRequest();
        assertThat(recorded.chunked()).isTrue();
        assertThat(recorded.header("Transfer-Encoding")).isEqualToIgnoringCase("chunked");
        assertThat(recorded.bodyPrefixText()).isEqualTo("streamed without a length");
        assertThat(recorded.bodySha256()).isEqualTo(sha256(body));
    }

    @Test
    void keepAliveRequestsShareOneConnection() throws Exception {
        for (int i = 0; i < 3; i++) {
            http.send(request("/n" + i).build(), HttpResponse.BodyHandlers.ofString());
        }

        assertThat(backend.connectionsAccepted()).isEqualTo(1);
        assertThat(backend.requests()).extracting(RecordedRequest::connectionId).containsExactly(1, 1, 1);
        assertThat(backend.requests()).extracting(RecordedRequest::uri).containsExactly("/n0", "/n1", "/n2");
        assertThat(backend.openConnections()).isEqualTo(1);
    }

    @Test
    void statusEndpointAnswersTheRequestedStatusAndBody() throws Exception {
        HttpResponse<String> response = http.send(request("/__status?code=503&body=down").build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.body()).isEqualTo("down");
    }

    @Test
    void badEndpointParametersGetA400() throws Exception {
        HttpResponse<String> response = http.send(request("/__chunks?count=three").build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).startsWith("bad parameters for /__chunks");
    }

    @Test
    void noContentStatusHasNoBody() throws Exception {
        HttpResponse<String> response = http.send(request("/__status?code=204&body=ignored").build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(204);
        assertThat(response.body()).isEmpty();
    }

    @Test
    void headersEndpointAddsRepeatableResponseHeaders() throws Exception {
        HttpResponse<String> response = http.send(
                request("/__headers?X-Multi=one&X-Multi=two&Cache-Control=no-store").build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(response.body()).isEqualTo("headers");
        assertThat(response.headers().allValues("X-Multi")).containsExactly("one", "two");
        assertThat(response.headers().firstValue("Cache-Control")).hasValue("no-store");
    }

    @Test
    void slowEndpointWaitsBeforeAnswering() throws Exception {
        long start = System.nanoTime();

        HttpResponse<String> response = http.send(request("/__slow?delayMs=300").build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
        assertThat(response.body()).isEqualTo("ok alpha GET /__slow?delayMs=300");
    }

    @Test
    void slowRequestsDoNotBlockOtherConnections() throws Exception {
        var slow = http.sendAsync(request("/__slow?delayMs=5000").build(), HttpResponse.BodyHandlers.ofString());

        HttpResponse<String> fast = http.send(request("/fast").build(), HttpResponse.BodyHandlers.ofString());

        assertThat(fast.body()).isEqualTo("ok alpha GET /fast");
        assertThat(slow).isNotDone();
        slow.cancel(true);
    }

    @Test
    void openConnectionsFallsWhenTheClientLeaves() throws Exception {
        try (RawHttpClient client = RawHttpClient.connect(backend.port())) {
            client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n").readResponse();
            assertThat(backend.openConnections()).isEqualTo(1);
        }

        await().atMost(Duration.ofSeconds(5)).until(() -> backend.openConnections() == 0);
        assertThat(backend.connectionsAccepted()).isEqualTo(1);
    }

    @Test
    void pollRequestIsEmptyWhenNothingArrives() {
        assertThat(backend.pollRequest(Duration.ofMillis(50))).isEmpty();
    }

    private HttpRequest.Builder request(String pathAndQuery) {
        return HttpRequest.newBuilder(URI.create(backend.baseUrl() + pathAndQuery)).timeout(Duration.ofSeconds(10));
    }

    static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(BodyDigest.newSha256().digest(bytes));
    }
}
