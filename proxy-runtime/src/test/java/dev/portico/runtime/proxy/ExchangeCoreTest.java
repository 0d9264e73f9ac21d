package dev.portico.runtime.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.runtime.config.ConfigHolder;
import dev.portico.runtime.config.SiteYaml;
import dev.portico.runtime.log.AccessLog;
import dev.portico.runtime.metrics.ProxyMetrics;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2ResetFrame;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The streaming core (ExchangeHandler and its Exchange) on an EmbeddedChannel: requests in, responses out, the
 * clock under the test's control, no sockets. Outcomes admission answers here; what needs a backend stays with the
 * socket suites (StreamingTest, UpstreamFailureTest, SlowClientsTest), since upstream connections come from the
 * event loop's pool.
 */
class ExchangeCoreTest {

    private static final InetSocketAddress PEER = new InetSocketAddress("192.0.2.10", 40000);
    private static final AccessLog ACCESS_LOG = new AccessLog();

    private final ProxyServices services = new ProxyServices(new ConfigHolder(SiteYaml.compile("""
            hosts: [app.example.com]
            limits: {maxRequestsInFlightPerClient: 2}
            rateLimit: {requestsPerSecond: 1, burst: 2}
            routes:
              - match: {path: {type: Exact, value: /hello}}
                respond: {status: 200, body: "hi"}
              - match: {path: {type: Exact, value: /old}}
                redirect: {path: /new}
            """)), Map.of(), new ProxyMetrics(), ACCESS_LOG);

    @AfterAll
    static void closeLog() throws Exception {
        ACCESS_LOG.close();
    }

    /** A client connection (or, multiplexed, an HTTP/2 stream) from {@link #PEER}. */
    private EmbeddedChannel connection(boolean multiplexed) {
        return new EmbeddedChannel(multiplexed ? ExchangeHandler.forHttp2Stream(services)
                : ExchangeHandler.forHttp1Connection(services, false, HeadTimer.NONE)) {
            @Override
            protected SocketAddress remoteAddress0() {
                return PEER;
            }
        };
    }

    private static HttpRequest get(String uri) {
        HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri);
        request.headers().set(HttpHeaderNames.HOST, "app.example.com");
        return request;
    }

    private static void send(EmbeddedChannel channel, HttpRequest request) {
        channel.writeInbound(request, LastHttpContent.EMPTY_LAST_CONTENT);
    }

    private static FullHttpResponse response(EmbeddedChannel channel) {
        Object out = channel.readOutbound();
        assertThat(out).isInstanceOf(FullHttpResponse.class);
        return (FullHttpResponse) out;
    }

    private static String body(FullHttpResponse response) {
        try {
            return response.content().toString(StandardCharsets.UTF_8);
        } finally {
            response.release();
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrderOnAKeptAliveConnection() {
        EmbeddedChannel channel = connection(false);

        channel.writeInbound(get("/hello"), LastHttpContent.EMPTY_LAST_CONTENT, get("/old?q=1"),
                LastHttpContent.EMPTY_LAST_CONTENT);

        FullHttpResponse hello = response(channel);
        assertThat(hello.status().code()).isEqualTo(200);
        assertThat(hello.headers().contains(HttpHeaderNames.CONNECTION)).isFalse();
        assertThat(body(hello)).isEqualTo("hi");
        FullHttpResponse old = response(channel);
        assertThat(old.status().code()).isEqualTo(302);
        assertThat(old.headers().get(HttpHeaderNames.LOCATION)).isEqualTo("http://app.example.com/new?q=1");
        old.release();
        assertThat(channel.isOpen()).isTrue();
        assertThat(services.requestsPerClient().inFlight(PEER.getAddress())).isZero();
        assertThat(services.inFlight()).isZero();
        channel.finishAndReleaseAll();
    }

    @Test
    void aRejectionClosesTheConnectionAfterLingeringForTheUnreadRequest() {
        EmbeddedChannel channel = connection(false);

        channel.writeInbound(get("/nowhere"));

        FullHttpResponse notFound = response(channel);
        assertThat(notFound.status().code()).isEqualTo(404);
        assertThat(notFound.headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("close");
        notFound.release();
        channel.runPendingTasks();
        assertThat(channel.isOpen()).as("lingering for what the client still sends").isTrue();
        channel.advanceTimeBy(ExchangeHandler.LINGER.toMillis() + 1, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void theRateLimitAnswers429WithRetryAfterAndKeepsTheConnection() {
        EmbeddedChannel channel = connection(false);

        for (int i = 0; i < 2; i++) {
            send(channel, get("/hello"));
            assertThat(response(channel).release()).isTrue();
        }
        send(channel, get("/hello"));

        FullHttpResponse throttled = response(channel);
        assertThat(throttled.status().code()).isEqualTo(429);
        assertThat(throttled.headers().get(HttpHeaderNames.RETRY_AFTER)).isEqualTo("1");
        assertThat(throttled.headers().contains(HttpHeaderNames.CONNECTION)).isFalse();
        assertThat(body(throttled)).isEqualTo("429 Too Many Requests\n");
        assertThat(channel.isOpen()).isTrue();
        channel.finishAndReleaseAll();
    }

    @Test
    void overTheInFlightCapAnHttp2StreamIsRefusedWithRefusedStream() {
        services.requestsPerClient().tryAcquire(PEER.getAddress(), 2);
        services.requestsPerClient().tryAcquire(PEER.getAddress(), 2);
        EmbeddedChannel stream = connection(true);

        send(stream, get("/hello"));

        Object out = stream.readOutbound();
        assertThat(out).isInstanceOf(Http2ResetFrame.class);
        assertThat(((Http2ResetFrame) out).errorCode()).isEqualTo(Http2Error.REFUSED_STREAM.code());
        assertThat(stream.isOpen()).isFalse();
        assertThat(services.requestsPerClient().inFlight(PEER.getAddress())).isEqualTo(2);
    }

    @Test
    void overTheInFlightCapAnHttp1RequestGets503WithRetryAfterAndTheConnectionCloses() {
        services.requestsPerClient().tryAcquire(PEER.getAddress(), 2);
        services.requestsPerClient().tryAcquire(PEER.getAddress(), 2);
        EmbeddedChannel channel = connection(false);

        send(channel, get("/hello"));

        FullHttpResponse refused = response(channel);
        assertThat(refused.status().code()).isEqualTo(503);
        assertThat(refused.headers().get(HttpHeaderNames.RETRY_AFTER)).isEqualTo("1");
        assertThat(refused.headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("close");
        refused.release();
        channel.advanceTimeBy(ExchangeHandler.LINGER.toMillis() + 1, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void aHeadThatDoesNotCompleteInTimeGets408AndTheConnectionCloses() {
        EmbeddedChannel channel = connection(false);

        channel.pipeline().fireUserEventTriggered(HeadTimer.Expired.INSTANCE);

        FullHttpResponse timeout = response(channel);
        assertThat(timeout.status().code()).isEqualTo(408);
        timeout.release();
        channel.runPendingTasks();
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void aPreflightIsAnswered204OnTheConnectionOrStreamAndTheConnectionCarriesOn() {
        ProxyServices cors = new ProxyServices(new ConfigHolder(SiteYaml.compile("""
                hosts: [app.example.com]
                cors: {allowOrigins: ["https://web.example.com"], allowMethods: [PUT]}
                routes:
                  - match: {path: {type: Exact, value: /hello}}
                    respond: {status: 200, body: "hi"}
                """)), Map.of(), new ProxyMetrics(), ACCESS_LOG);
        for (boolean multiplexed : new boolean[] {false, true}) {
            EmbeddedChannel channel = new EmbeddedChannel(multiplexed ? ExchangeHandler.forHttp2Stream(cors)
                    : ExchangeHandler.forHttp1Connection(cors, false, HeadTimer.NONE)) {
                @Override
                protected SocketAddress remoteAddress0() {
                    return PEER;
                }
            };
            HttpRequest preflight = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.OPTIONS, "/hello");
            preflight.headers().set(HttpHeaderNames.HOST, "app.example.com")
                    .set(HttpHeaderNames.ORIGIN, "https://web.example.com")
                    .set(HttpHeaderNames.ACCESS_CONTROL_REQUEST_METHOD, "PUT");

            send(channel, preflight);

            FullHttpResponse answer = response(channel);
            assertThat(answer.status().code()).as("multiplexed %s", multiplexed).isEqualTo(204);
            assertThat(answer.headers().get(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN))
                    .isEqualTo("https://web.example.com");
            assertThat(answer.headers().get(HttpHeaderNames.ACCESS_CONTROL_ALLOW_METHODS)).isEqualTo("PUT");
            assertThat(answer.headers().contains(HttpHeaderNames.CONTENT_LENGTH)).isFalse();
            assertThat(answer.headers().contains(HttpHeaderNames.CONNECTION)).isFalse();
            assertThat(body(answer)).isEmpty();
            assertThat(cors.requestsPerClient().inFlight(PEER.getAddress())).isZero();
            if (!multiplexed) {
                HttpRequest hello = get("/hello");
                hello.headers().set(HttpHeaderNames.ORIGIN, "https://web.example.com");
                send(channel, hello);
                FullHttpResponse actual = response(channel);
                assertThat(actual.headers().get(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN))
                        .isEqualTo("https://web.example.com");
                assertThat(body(actual)).isEqualTo("hi");
                send(channel, get("/hello"));
                FullHttpResponse sameOrigin = response(channel);
                assertThat(sameOrigin.headers().contains(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN)).isFalse();
                assertThat(sameOrigin.headers().contains(HttpHeaderNames.VARY)).isFalse();
                sameOrigin.release();
                assertThat(channel.isOpen()).isTrue();
            }
            channel.finishAndReleaseAll();
        }
    }
}
