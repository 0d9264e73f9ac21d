package dev.portico.runtime.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.runtime.testing.RawHttpClient;
import dev.portico.runtime.testing.RawResponse;
import dev.portico.runtime.testing.RecordedRequest;
import dev.portico.runtime.testing.RunningProxy;
import dev.portico.runtime.testing.TestBackend;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * HTTP/1.1 framing vectors (request smuggling and its relatives), each sent as raw bytes on a fresh connection and
 * followed, in the same write, by an innocent {@code GET /innocent}. Every vector either gets the proxy's own 400 and
 * a closed connection, with the innocent request never reaching the backend, or is accepted with one well-defined
 * meaning and the innocent request answered after it. Whatever the outcome, the backend never sees a request made of
 * smuggled bytes ({@code /admin}, {@code GPOST}). The table is written out in {@code docs/http1-framing.md}.
 */
@Timeout(60)
class FramingVectorsTest {

    /** How long to wait before concluding that the backend did not get (more of) a request. */
    private static final Duration NOTHING_FORWARDED = Duration.ofMillis(300);

    /** The request an attacker hides in a body; a backend that ever records it was smuggled to. */
    private static final String SMUGGLED = "GET /admin HTTP/1.1\r\nHost: app\r\n\r\n";
    /** Sent right behind every vector on the same connection. */
    private static final String INNOCENT = "GET /innocent HTTP/1.1\r\nHost: app\r\n\r\n";

    /** What the proxy must do with a vector. */
    enum Outcome {
        /** 400, connection closed, the backend saw nothing at all. */
        REJECTED,
        /**
         * 400, connection closed; the head was sound, so the backend may have seen the start of the request, but
         * never a complete one.
         */
        REJECTED_MID_BODY,
        /** Forwarded with one meaning, then the innocent request is forwarded and answered too. */
        ACCEPTED,
        /** Forwarded with one meaning; the client asked for the close (or spoke HTTP/1.0), so nothing follows. */
        ACCEPTED_THEN_CLOSED
    }

    /**
     * @param name      the row in docs/http1-framing.md
     * @param raw       the bytes sent (ISO-8859-1), before the innocent request
     * @param outcome   what must happen
     * @param method    for accepted vectors: the method the backend must see
     * @param uri       for accepted vectors: the target the backend must see
     * @param forwarded for accepted vectors: more checks on what the backend got
     */
    record Vector(String name, String raw, Outcome outcome, String method, String uri,
                  Consumer<RecordedRequest> forwarded) {

        @Override
        public String toString() {
            return name;
        }
    }

    @TempDir
    Path dir;
    TestBackend backend;
    RunningProxy proxy;

    @BeforeEach
    void start() {
        backend = TestBackend.start("app");
        proxy = RunningProxy.start(dir, """
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: framing, generation: 1}
                spec:
                  hosts: ["*"]
                  headers: {response: {set: {X-Site: "yes"}}}
                  routes:
                    - match: {path: {value: /}}
                      backend: {service: 127.0.0.1, port: %d}
                """.formatted(backend.port()));
    }

    @AfterEach
    void stop() {
        proxy.close();
        backend.close();
    }

    static Stream<Vector> vectors() {
        String chunkedSmuggle = "0\r\n\r\n" + SMUGGLED;
        String gpost = "GPOST / HTTP/1.1\r\nHost: app\r\nContent-Length: 15\r\n\r\nx=1";
        String gpostChunk = Integer.toHexString(gpost.length()) + "\r\n" + gpost + "\r\n0\r\n\r\n";
        return Stream.of(
                // ---- CL.TE and TE.CL ------------------------------------------------------
                rejected("CL.TE", post("Content-Length: " + chunkedSmuggle.length(), "Transfer-Encoding: chunked")
                        + chunkedSmuggle),
                rejected("TE.CL", post("Transfer-Encoding: chunked", "Content-Length: 4") + gpostChunk),
                rejected("CL.TE, TE in mixed case", post("Content-Length: " + chunkedSmuggle.length(),
                        "Transfer-Encoding: Chunked") + chunkedSmuggle),
                rejected("CL.TE, TE after a tab", post("Content-Length: " + chunkedSmuggle.length(),
                        "Transfer-Encoding:\tchunked") + chunkedSmuggle),
                rejected("CL.TE, TE unknown (xchunked)", post("Content-Length: " + chunkedSmuggle.length(),
                        "Transfer-Encoding: xchunked") + chunkedSmuggle),
                rejected("CL.TE over HTTP/1.0", "POST / HTTP/1.0\r\nHost: app\r\nContent-Length: "
                        + chunkedSmuggle.length() + "\r\nTransfer-Encoding: chunked\r\n\r\n" + chunkedSmuggle),
                rejected("CL and TE: chunked, Content-Length: 0", post("Transfer-Encoding: chunked",
                        "Content-Length: 0") + chunkedSmuggle),

                // ---- Content-Length ------------------------------------------------------------
                rejected("two equal Content-Length", post("Content-Length: 5", "Content-Length: 5") + "hello"),
                rejected("two different Content-Length", post("Content-Length: 5", "Content-Length: "
                        + (5 + SMUGGLED.length())) + "hello" + SMUGGLED),
                rejected("Content-Length: 5, 5", post("Content-Length: 5, 5") + "hello"),
                rejected("Content-Length: 5,6", post("Content-Length: 5,6") + "hello" + "x"),
                rejected("Content-Length: +5", post("Content-Length: +5") + "hello"),
                rejected("Content-Length: -5", post("Content-Length: -5") + "hello"),
                rejected("Content-Length: 0x5", post("Content-Length: 0x5") + "hello"),
                rejected("Content-Length: 5 5", post("Content-Length: 5 5") + "hello"),
                rejected("Content-Length empty", post("Content-Length: ") + "hello"),
                rejected("Content-Length overflowing", post("Content-Length: 99999999999999999999") + "hello"),
                rejected("two Content-Length over HTTP/1.0", "POST / HTTP/1.0\r\nHost: app\r\nContent-Length: 5\r\n"
                        + "Content-Length: " + (5 + SMUGGLED.length()) + "\r\n\r\nhello" + SMUGGLED),
                accepted("Content-Length: 5 (trailing space)", post("Content-Length: 5 ") + "hello",
                        "POST", "/", body("hello")),
                accepted("Content-Length:  5 (leading spaces)", post("Content-Length:   5") + "hello",
                        "POST", "/", body("hello")),
                accepted("Content-Length:\\t5 (tab)", post("Content-Length:\t5") + "hello",
                        "POST", "/", body("hello")),
                accepted("Content-Length: 005", post("Content-Length: 005") + "hello",
                        "POST", "/", body("hello")),

                // ---- whitespace before the colon -------------------------------------------
                rejected("Host : app", "GET / HTTP/1.1\r\nHost : app\r\n\r\n"),
                rejected("Content-Length : 5", post("Content-Length : " + SMUGGLED.length()) + SMUGGLED),
                rejected("Transfer-Encoding : chunked", post("Transfer-Encoding : chunked",
                        "Content-Length: " + chunkedSmuggle.length()) + chunkedSmuggle),

                // ---- Transfer-Encoding ---------------------------------------------------------
                accepted("Transfer-Encoding: ChUnKeD", post("Transfer-Encoding: ChUnKeD") + "5\r\nhello\r\n0\r\n\r\n",
                        "POST", "/", body("hello")),
                accepted("Transfer-Encoding:\\tchunked", post("Transfer-Encoding:\tchunked")
                        + "5\r\nhello\r\n0\r\n\r\n", "POST", "/", body("hello")),
                rejected("Transfer-Encoding: xchunked", post("Transfer-Encoding: xchunked") + chunkedSmuggle),
                rejected("Transfer-Encoding: identity", post("Transfer-Encoding: identity") + chunkedSmuggle),
                rejected("Transfer-Encoding: chunked, identity", post("Transfer-Encoding: chunked, identity")
                        + chunkedSmuggle),
                rejected("Transfer-Encoding: identity, chunked", post("Transfer-Encoding: identity, chunked")
                        + "5\r\nhello\r\n0\r\n\r\n"),
                rejected("Transfer-Encoding: gzip, chunked", post("Transfer-Encoding: gzip, chunked")
                        + "5\r\nhello\r\n0\r\n\r\n"),
                rejected("Transfer-Encoding: chunked, chunked", post("Transfer-Encoding: chunked, chunked")
                        + "5\r\nhello\r\n0\r\n\r\n"),
                rejected("two Transfer-Encoding: chunked", post("Transfer-Encoding: chunked",
                        "Transfer-Encoding: chunked") + "5\r\nhello\r\n0\r\n\r\n"),
                rejected("two Transfer-Encoding: chunked then identity", post("Transfer-Encoding: chunked",
                        "Transfer-Encoding: identity") + chunkedSmuggle),
                rejected("Transfer-Encoding empty", post("Transfer-Encoding: ") + chunkedSmuggle),
                rejected("Transfer-Encoding over HTTP/1.0", "POST / HTTP/1.0\r\nHost: app\r\n"
                        + "Transfer-Encoding: chunked\r\n\r\n" + chunkedSmuggle),

                // ---- obs-fold ---------------------------------------------------------------------
                rejected("obs-fold in an ordinary header", "GET / HTTP/1.1\r\nHost: app\r\nX-Folded: a\r\n b\r\n\r\n"),
                rejected("obs-fold with a tab", "GET / HTTP/1.1\r\nHost: app\r\nX-Folded: a\r\n\tb\r\n\r\n"),
                rejected("obs-fold carrying Transfer-Encoding", post("X-Folded: a", " Transfer-Encoding: chunked",
                        "Content-Length: " + chunkedSmuggle.length()) + chunkedSmuggle),
                rejected("obs-fold continuing Transfer-Encoding", post("Transfer-Encoding:", " chunked")
                        + chunkedSmuggle),
                rejected("whitespace before the first header", "GET / HTTP/1.1\r\n Host: app\r\n\r\n"),
                accepted("body lines starting with whitespace", post("Content-Length: 12") + "a\r\n b\n\tc\r\n x",
                        "POST", "/", body("a\r\n b\n\tc\r\n x")),
                accepted("chunk data lines starting with whitespace", chunked("8\r\na\n b\r\n\tc\r\n0\r\n\r\n"),
                        "POST", "/", body("a\n b\r\n\tc")),

                // ---- chunk sizes and chunk framing ------------------------------------------
                rejectedMidBody("chunk size 0x5", chunked("0x5\r\nhello\r\n0\r\n\r\n")),
                rejectedMidBody("chunk size -1", chunked("-1\r\nhello\r\n0\r\n\r\n")),
                rejectedMidBody("chunk size ffffffffffffffffff", chunked("ffffffffffffffffff\r\nhello\r\n0\r\n\r\n")),
                rejectedMidBody("chunk size 80000000 (over 2^31)", chunked("80000000\r\nhello\r\n0\r\n\r\n")),
                rejectedMidBody("chunk size not hex", chunked("5g\r\nhello\r\n0\r\n\r\n")),
                rejectedMidBody("chunk size with trailing garbage", chunked("5 x\r\nhello\r\n0\r\n\r\n")),
                rejectedMidBody("obs-fold in a trailer", chunked("5\r\nhello\r\n0\r\nX-Trailer: a\r\n b\r\n\r\n")),
                accepted("chunk size 5 ;ext", chunked("5 ;ext\r\nhello\r\n0\r\n\r\n"), "POST", "/", body("hello")),
                accepted("chunked body with a trailer", chunked("5\r\nhello\r\n0\r\nX-Trailer: a\r\n\r\n"),
                        "POST", "/", body("hello")),
                rejectedMidBody("chunk size empty", chunked("\r\nhello\r\n0\r\n\r\n")),
                accepted("chunk size 5;ext", chunked("5;ext\r\nhello\r\n0\r\n\r\n"), "POST", "/", body("hello")),
                accepted("chunk size 5;ext=\"v\"", chunked("5;ext=\"v\"\r\nhello\r\n0\r\n\r\n"),
                        "POST", "/", body("hello")),
                rejectedMidBody("chunk extension with a bare CR", chunked("5;e\rx\r\nhello\r\n0\r\n\r\n")),
                rejectedMidBody("chunk data without its CRLF", chunked("5\r\nhello0\r\n\r\n" + SMUGGLED)),
                rejectedMidBody("chunk data longer than its size", chunked("3\r\nhello\r\n0\r\n\r\n")),
                rejectedMidBody("chunk data ended by a bare LF", chunked("5\r\nhello\n0\r\n\r\n")),
                rejectedMidBody("chunk size line ended by a bare LF", chunked("5\nhello\r\n0\r\n\r\n")),
                rejectedMidBody("last chunk ended by bare LFs", chunked("5\r\nhello\r\n0\n\n" + SMUGGLED)),
                accepted("GET with a chunked body", "GET / HTTP/1.1\r\nHost: app\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + Integer.toHexString(SMUGGLED.length()) + "\r\n" + SMUGGLED + "\r\n0\r\n\r\n",
                        "GET", "/", body(SMUGGLED)),

                // ---- bare LF, bare CR, NUL ----------------------------------------------------
                rejected("bare LF after the request line", "GET / HTTP/1.1\nHost: app\r\n\r\n"),
                rejected("bare LF between headers", "GET / HTTP/1.1\r\nHost: app\nX-A: b\r\n\r\n"),
                rejected("bare LF ends the head", "GET / HTTP/1.1\r\nHost: app\n\n"),
                rejected("all line ends bare LF", "GET / HTTP/1.1\nHost: app\n\n"),
                rejected("NUL in a header value", "GET / HTTP/1.1\r\nHost: app\r\nX-A: a\0b\r\n\r\n"),
                rejected("NUL in a header name", "GET / HTTP/1.1\r\nHost: app\r\nX\0A: b\r\n\r\n"),
                rejected("bare CR in a header value", "GET / HTTP/1.1\r\nHost: app\r\nX-A: a\rb\r\n\r\n"),
                rejected("bare CR hiding a header", post("X-A: a\rTransfer-Encoding: chunked",
                        "Content-Length: " + chunkedSmuggle.length()) + chunkedSmuggle),
                rejected("NUL in the request target", "GET /a\0b HTTP/1.1\r\nHost: app\r\n\r\n"),
                rejected("control character in the request target", "GET /a\u0001b HTTP/1.1\r\nHost: app\r\n\r\n"),

                // ---- header names and lines ---------------------------------------------------
                rejected("space in a header name", "GET / HTTP/1.1\r\nHost: app\r\nBad Name: x\r\n\r\n"),
                rejected("tab in a header name", "GET / HTTP/1.1\r\nHost: app\r\nBad\tName: x\r\n\r\n"),
                rejected("header line without a colon", "GET / HTTP/1.1\r\nHost: app\r\ngarbage\r\n\r\n"),
                rejected("header line with an empty name", "GET / HTTP/1.1\r\nHost: app\r\n: x\r\n\r\n"),

                // ---- request target and Host --------------------------------------------------
                rejected("absolute-form host differs from Host", "GET http://evil/ HTTP/1.1\r\nHost: app\r\n\r\n"),
                rejected("absolute-form with userinfo", "GET http://evil@app/ HTTP/1.1\r\nHost: app\r\n\r\n"),
                accepted("absolute-form host equals Host", "GET http://APP/x?q=1 HTTP/1.1\r\nHost: app\r\n\r\n",
                        "GET", "/x?q=1", seen -> assertThat(seen.header("Host")).isEqualToIgnoringCase("app")),
                rejected("absolute-form without Host", "GET http://app/ HTTP/1.1\r\n\r\n"),
                rejected("two equal Host", "GET / HTTP/1.1\r\nHost: app\r\nHost: app\r\n\r\n"),
                rejected("two different Host", "GET / HTTP/1.1\r\nHost: app\r\nHost: evil\r\n\r\n"),
                rejected("no Host", "GET / HTTP/1.1\r\nX-A: b\r\n\r\n"),
                rejected("empty Host", "GET / HTTP/1.1\r\nHost: \r\n\r\n"),
                rejected("list-valued Host", "GET / HTTP/1.1\r\nHost: app, evil\r\n\r\n"),
                rejected("Host with a path", "GET / HTTP/1.1\r\nHost: app/admin\r\n\r\n"),
                rejected("Host with userinfo", "GET / HTTP/1.1\r\nHost: evil@app\r\n\r\n"),
                accepted("Host with a port", "GET /p HTTP/1.1\r\nHost: app:8080\r\n\r\n", "GET", "/p",
                        seen -> assertThat(seen.header("Host")).isEqualTo("app:8080")),
                accepted("Host as an IPv6 literal", "GET /v6 HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", "GET", "/v6",
                        seen -> assertThat(seen.header("Host")).isEqualTo("[::1]:8080")),
                acceptedThenClosed("HTTP/1.0 without Host", "GET /old HTTP/1.0\r\n\r\n", "GET", "/old",
                        seen -> { }),

                // ---- Connection options ---------------------------------------------------------
                acceptedThenClosed("Connection: close, X-Forwarded-For", "GET /xff HTTP/1.1\r\nHost: app\r\n"
                        + "X-Forwarded-For: 6.6.6.6\r\nConnection: close, X-Forwarded-For\r\n\r\n", "GET", "/xff",
                        FramingVectorsTest::ownForwardedFor),
                accepted("Connection: keep-alive, X-Forwarded-For", "GET /xff HTTP/1.1\r\nHost: app\r\n"
                        + "X-Forwarded-For: 6.6.6.6\r\nConnection: keep-alive, X-Forwarded-For\r\n\r\n", "GET", "/xff",
                        FramingVectorsTest::ownForwardedFor),
                rejected("Connection: Content-Length", post("Connection: Content-Length",
                        "Content-Length: " + SMUGGLED.length()) + SMUGGLED),
                rejected("Connection: close, Host", "GET / HTTP/1.1\r\nHost: app\r\nConnection: close, Host\r\n\r\n"),

                // ---- bodies that look like requests ----------------------------------------
                accepted("GET with a Content-Length body holding a request", "GET / HTTP/1.1\r\nHost: app\r\n"
                        + "Content-Length: " + SMUGGLED.length() + "\r\n\r\n" + SMUGGLED, "GET", "/", body(SMUGGLED)),
                accepted("POST with a body holding GPOST", post("Content-Length: " + gpost.length()) + gpost,
                        "POST", "/", body(gpost)),
                accepted("plain GET (control)", "GET /plain HTTP/1.1\r\nHost: app\r\n\r\n", "GET", "/plain",
                        seen -> { }));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void vector(Vector vector) throws Exception {
        try (RawHttpClient client = proxy.connect()) {
            client.send((vector.raw() + INNOCENT).getBytes(StandardCharsets.ISO_8859_1));
            RawResponse first = client.readResponse();
            switch (vector.outcome()) {
                case REJECTED, REJECTED_MID_BODY -> {
                    assertProxyError(first, 400);
                    assertThat(client.isClosedByPeer()).as("closed after the 400, innocent request unanswered")
                            .isTrue();
                }
                case ACCEPTED -> {
                    assertForwarded(first, vector);
                    RawResponse innocent = client.readResponse();
                    assertThat(innocent.status()).as("%s", innocent).isEqualTo(200);
                    assertThat(innocent.bodyText()).isEqualTo("ok app GET /innocent");
                }
                case ACCEPTED_THEN_CLOSED -> {
                    assertForwarded(first, vector);
                    assertThat(client.isClosedByPeer()).as("closed as asked, innocent request unanswered").isTrue();
                }
            }
        }
        backend.pollRequest(NOTHING_FORWARDED); // let anything still under way arrive
        List<RecordedRequest> seen = backend.requests();
        assertThat(seen).as("never a request made of smuggled bytes")
                .noneMatch(request -> request.uri().contains("/admin") || request.method().equals("GPOST"));
        switch (vector.outcome()) {
            case REJECTED -> assertThat(seen).as("the backend saw nothing").isEmpty();
            case REJECTED_MID_BODY -> assertThat(seen).as("the backend saw at most an unfinished request")
                    .allSatisfy(request -> {
                        assertThat(request.complete()).as("%s", request).isFalse();
                        assertThat(request.uri()).isEqualTo("/");
                    });
            case ACCEPTED -> {
                assertThat(seen).extracting(RecordedRequest::uri).containsExactly(vector.uri(), "/innocent");
                assertThat(seen).allMatch(RecordedRequest::complete);
                assertThat(seen.get(0).method()).isEqualTo(vector.method());
                vector.forwarded().accept(seen.get(0));
                assertThat(seen.get(1).bodyLength()).isZero();
            }
            case ACCEPTED_THEN_CLOSED -> {
                assertThat(seen).extracting(RecordedRequest::uri).containsExactly(vector.uri());
                assertThat(seen.get(0).complete()).isTrue();
                assertThat(seen.get(0).method()).isEqualTo(vector.method());
                vector.forwarded().accept(seen.get(0));
            }
        }
    }

    @Test
    void foldedLineArrivingInALaterPacketIsRefused() throws Exception {
        try (RawHttpClient client = proxy.connect()) {
            client.send("GET / HTTP/1.1\r\nHost: app\r\nX-Folded: a\r\n");
            Thread.sleep(100); // the fold starts the next read
            client.send(" b\r\n\r\n" + INNOCENT);
            assertProxyError(client.readResponse(), 400);
            assertThat(client.isClosedByPeer()).isTrue();
        }
        assertThat(backend.pollRequest(NOTHING_FORWARDED)).isEmpty();
    }

    @Test
    void chunkedBodySplitAcrossPacketsAtEveryLineIsFollowedAndForwardedWhole() throws Exception {
        String[] pieces = {"POST /split HTTP/1.1\r\nHost: app\r\nTransfer-Encoding: chunked\r\n", "\r\n5",
            "\r", "\nhel", "lo\r", "\n0\r\nX-T", "railer: a\r", "\n", "\r\n" + INNOCENT};
        try (RawHttpClient client = proxy.connect()) {
            for (String piece : pieces) {
                client.send(piece);
                Thread.sleep(50); // each piece its own read: the guard must carry its state across them
            }
            assertThat(client.readResponse().status()).isEqualTo(200);
            assertThat(client.readResponse().bodyText()).isEqualTo("ok app GET /innocent");
        }
        assertThat(backend.takeRequest().bodyPrefixText()).isEqualTo("hello");
    }

    @Test
    void foldedTrailerLineArrivingInALaterPacketIsRefused() throws Exception {
        try (RawHttpClient client = proxy.connect()) {
            client.send("POST / HTTP/1.1\r\nHost: app\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n"
                    + "X-Trailer: a\r\n");
            Thread.sleep(100); // the fold starts the next read
            client.send(" b\r\n\r\n" + INNOCENT);
            assertProxyError(client.readResponse(), 400);
            assertThat(client.isClosedByPeer()).isTrue();
        }
        backend.pollRequest(NOTHING_FORWARDED);
        assertThat(backend.requests()).allSatisfy(request -> assertThat(request.complete()).isFalse());
    }

    @Test
    void foldedLineInAPipelinedRequestIsRefusedAfterTheRequestBeforeIt() throws Exception {
        try (RawHttpClient client = proxy.connect()) {
            client.send("GET /first HTTP/1.1\r\nHost: app\r\n\r\n"
                    + "GET /second HTTP/1.1\r\nHost: app\r\nX-Folded: a\r\n b\r\n\r\n" + INNOCENT);
            RawResponse first = client.readResponse();
            assertThat(first.status()).isEqualTo(200);
            assertThat(first.bodyText()).isEqualTo("ok app GET /first");
            assertProxyError(client.readResponse(), 400);
            assertThat(client.isClosedByPeer()).isTrue();
        }
        backend.pollRequest(NOTHING_FORWARDED);
        assertThat(backend.requests()).extracting(RecordedRequest::uri).containsExactly("/first");
    }

    /** Every vector has its row in docs/http1-framing.md, and the row says the same thing as the test. */
    @Test
    void everyVectorIsDocumented() throws IOException {
        String table = Files.readString(Path.of("..", "docs", "http1-framing.md"));
        vectors().forEach(vector -> {
            String answer = switch (vector.outcome()) {
                case REJECTED, REJECTED_MID_BODY -> "400";
                case ACCEPTED, ACCEPTED_THEN_CLOSED -> "accepted";
            };
            assertThat(table).as("row for %s", vector.name())
                    .containsPattern("(?m)^\\| `" + java.util.regex.Pattern.quote(vector.name()) + "` \\|.*\\| "
                            + answer);
        });
    }

    // ---- vectors -----------------------------------------------------------------------

    private static Vector rejected(String name, String raw) {
        return new Vector(name, raw, Outcome.REJECTED, null, null, seen -> { });
    }

    private static Vector rejectedMidBody(String name, String raw) {
        return new Vector(name, raw, Outcome.REJECTED_MID_BODY, null, null, seen -> { });
    }

    private static Vector accepted(String name, String raw, String method, String uri,
                                   Consumer<RecordedRequest> forwarded) {
        return new Vector(name, raw, Outcome.ACCEPTED, method, uri, forwarded);
    }

    private static Vector acceptedThenClosed(String name, String raw, String method, String uri,
                                             Consumer<RecordedRequest> forwarded) {
        return new Vector(name, raw, Outcome.ACCEPTED_THEN_CLOSED, method, uri, forwarded);
    }

    /** A {@code POST /} head with {@code Host: app} and these header lines. */
    private static String post(String... headerLines) {
        StringBuilder head = new StringBuilder("POST / HTTP/1.1\r\nHost: app\r\n");
        for (String line : headerLines) {
            head.append(line).append("\r\n");
        }
        return head.append("\r\n").toString();
    }

    /** A chunked {@code POST /} with this body, written raw. */
    private static String chunked(String body) {
        return post("Transfer-Encoding: chunked") + body;
    }

    /** The backend got exactly {@code expected} as the body. */
    private static Consumer<RecordedRequest> body(String expected) {
        return seen -> {
            assertThat(seen.bodyLength()).isEqualTo(expected.length());
            assertThat(seen.bodyPrefixText()).isEqualTo(expected);
        };
    }

    /** The client's X-Forwarded-For is not trusted: the backend gets the peer's address, from the proxy. */
    private static void ownForwardedFor(RecordedRequest seen) {
        assertThat(seen.headers("X-Forwarded-For")).containsExactly("127.0.0.1");
        assertThat(seen.header("X-Real-IP")).isEqualTo("127.0.0.1");
    }

    // ---- assertions --------------------------------------------------------------------

    private static void assertForwarded(RawResponse response, Vector vector) {
        assertThat(response.status()).as("%s", response).isEqualTo(200);
        assertThat(response.bodyText()).isEqualTo("ok app " + vector.method() + " " + vector.uri());
    }

    /** The proxy's own error: the status, a short plain-text body and the site's response headers. */
    private static void assertProxyError(RawResponse response, int status) {
        assertThat(response.status()).as("%s", response).isEqualTo(status);
        assertThat(response.header("Content-Type")).startsWith("text/plain");
        assertThat(response.bodyText()).isNotBlank().hasSizeLessThan(200).startsWith(String.valueOf(status));
        assertThat(response.header("X-Site")).isEqualTo("yes");
    }
}
