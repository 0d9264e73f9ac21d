package dev.portico.runtime.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portico.runtime.testing.RawHttpClient;
import dev.portico.runtime.testing.RunningProxy;
import dev.portico.runtime.testing.TestBackend;
import dev.portico.runtime.tls.TestCertificates.KeyFormat;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2FrameLogger;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.logging.LogLevel;
import io.netty.util.ReferenceCountUtil;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Issue 16 item 6 over HTTP/2: one address with several connections, each with many uploads
 * held open (the backend waits for bodies that do not come), gets exactly
 * {@code maxRequestsInFlightPerClient} requests through and RST_STREAM(REFUSED_STREAM) for the
 * rest; the upstream connections never pass the per-backend and overall caps; another address
 * is served meanwhile; and every count returns to zero when the uploads end, whether the client
 * resets them, the backend drops them, or they complete.
 */
@Timeout(120)
class RequestsInFlightTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String IN_FLIGHT = "portico_requests_in_flight";
    private static final String COUNTED = "portico_upstream_connections_counted";
    private static final String OPEN = "portico_upstream_connections_open";
    private static final String IDLE = "portico_upstream_connections_idle";

    static TestCertificates.Ca ca;
    @TempDir
    Path dir;
    TestBackend app;
    TestBackend other;
    RunningProxy proxy;
    EventLoopGroup group;
    final List<Channel> connections = new ArrayList<>();
    final ResetLog resets = new ResetLog();

    @BeforeAll
    static void certificates() {
        ca = TestCertificates.newCa("Portico Test CA");
    }

    @BeforeEach
    void start() {
        TestCertificates.write(dir.resolve("secrets"), "site-tls",
                ca.issue(TestCertificates.leaf("site").ec().sans("localhost")), KeyFormat.TRADITIONAL);
        app = TestBackend.start("app");
        other = TestBackend.start("other");
        group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    }

    @AfterEach
    void stop() throws Exception {
        try {
            for (Channel connection : connections) {
                connection.close().await(5, TimeUnit.SECONDS);
            }
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
        } finally {
            if (proxy != null) {
                proxy.close();
            }
            app.close();
            other.close();
        }
    }

    @Test
    void oneClientGetsExactlyItsLimitThroughAndRefusedStreamsBeyondIt() throws Exception {
        startProxy("maxRequestsInFlightPerClient: 20");
        List<Upload> uploads = openUploads(4, 16, "/up");

        awaitSettled(uploads, 20);
        await().atMost(WAIT).until(() -> app.openConnections() == 20);
        assertThat(refusedStreams(uploads)).isEqualTo(44);
        assertThat(resets.inbound).as("one reset per refused stream, all REFUSED_STREAM, no CANCEL after them")
                .isEqualTo(Map.of("REFUSED_STREAM", 44));
        assertThat(app.openConnections()).isEqualTo(20);
        assertThat(proxy.metric(refused("max_requests_in_flight_per_client"))).isEqualTo(44.0);
        assertThat(proxy.metric(IN_FLIGHT)).isEqualTo(20.0);
        assertThat(proxy.metric(COUNTED)).isEqualTo(20.0);

        // Another address is not affected: 127.0.0.2 over HTTP/1.1 is served at once.
        try (RawHttpClient second = RawHttpClient.connectFrom("127.0.0.2", proxy.httpPort())) {
            second.send("GET /x HTTP/1.1\r\nHost: localhost\r\n\r\n");
            assertThat(second.readResponse().status()).isEqualTo(200);
        }

        // The client resets half of its uploads, the backend drops the other half: nothing stays counted.
        List<Upload> through = uploads.stream().filter(u -> !u.refused()).toList();
        for (Upload upload : through.subList(0, 10)) {
            upload.stream.close();
        }
        // 10 uploads left, plus the idle pooled connection of the GET from 127.0.0.2.
        await().atMost(WAIT).untilAsserted(() -> assertThat(app.openConnections())
                .as("backend connections; in flight %s, counted %s", proxy.metric(IN_FLIGHT), proxy.metric(COUNTED))
                .isEqualTo(11));
        assertThat(proxy.metric(IN_FLIGHT)).isEqualTo(10.0);
        assertThat(resets.outbound).isEqualTo(Map.of("CANCEL", 10));
        app.closeConnections();
        awaitDrained();

        // No leak: the same client again gets exactly 20 through, and these complete normally.
        List<Upload> again = openUploads(connections, 7, "/again");
        awaitSettled(again, 20);
        for (Upload upload : again) {
            if (!upload.refused()) {
                upload.finish();
            }
        }
        for (Upload upload : again) {
            upload.closed.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        }
        assertThat(again).filteredOn(u -> !u.refused()).hasSize(20).allMatch(u -> "200".equals(u.status));
        await().atMost(WAIT).until(() -> proxy.metric(IN_FLIGHT) == 0.0);
        // What is left are the idle pooled connections, which the budget still counts (they are open).
        await().atMost(WAIT).until(() -> proxy.metric(COUNTED).equals(proxy.metric(IDLE)));
    }

    @Test
    void upstreamConnectionsStayWithinThePerBackendAndOverallCaps() throws Exception {
        startProxy("maxRequestsInFlightPerClient: 1000, maxUpstreamConnectionsPerBackend: 12, "
                + "maxUpstreamConnections: 15");
        AtomicLong mostCounted = new AtomicLong();
        AtomicInteger mostAtApp = new AtomicInteger();
        ScheduledExecutorService sampling = Executors.newSingleThreadScheduledExecutor();
        sampling.scheduleAtFixedRate(() -> {
            mostCounted.accumulateAndGet(proxy.metric(COUNTED).longValue(), Math::max);
            mostAtApp.accumulateAndGet(app.openConnections() + other.openConnections(), Math::max);
        }, 0, 20, TimeUnit.MILLISECONDS);
        try {
            List<Upload> toApp = openUploads(2, 8, "/up");
            awaitSettled(toApp, 12);
            await().atMost(WAIT).until(() -> app.openConnections() == 12);
            assertThat(proxy.metric(refused("max_upstream_connections_per_backend"))).isEqualTo(4.0);

            List<Upload> toOther = openUploads(connections, 8, "/other/up");
            awaitSettled(toOther, 3);
            await().atMost(WAIT).until(() -> other.openConnections() == 3);
            assertThat(proxy.metric(refused("max_upstream_connections"))).isEqualTo(13.0);
            assertThat(app.openConnections()).isEqualTo(12);
            assertThat(other.openConnections()).isEqualTo(3);
            assertThat(proxy.metric(refused("max_requests_in_flight_per_client"))).isZero();

            for (Upload upload : toApp) {
                upload.stream.close();
            }
            other.closeConnections();
            awaitDrained();
        } finally {
            sampling.shutdownNow();
            sampling.awaitTermination(5, TimeUnit.SECONDS);
        }
        assertThat(mostCounted.get()).as("upstream connections the runtime counted at most").isLessThanOrEqualTo(15);
        assertThat(mostAtApp.get()).as("connections the backends saw at most").isLessThanOrEqualTo(15);
    }

    /**
     * The issue's scenario, measured: 8 connections from one address with 128 uploads each. With the
     * default limits, 256 get through; with every cap lifted (the runtime before this change behaved
     * the same, having no such caps), all 1,024 hold an upstream connection. SECURITY.md quotes the
     * {@code [in-flight]} lines.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            defaults      | maxConnectionsPerClient: 512                                                                           | 256
            caps lifted   | maxRequestsInFlightPerClient: 1000000, maxUpstreamConnectionsPerBackend: 1000000, maxUpstreamConnections: 1000000 | 1024
            """)
    void theIssueScenarioEightConnectionsOf128Uploads(String name, String limits, int expectedThrough)
            throws Exception {
        startProxy(limits);
        long started = System.nanoTime();
        List<Upload> uploads = openUploads(8, 128, "/up");

        awaitSettled(uploads, expectedThrough);
        await().atMost(WAIT).until(() -> app.openConnections() == expectedThrough);
        long settledMillis = (System.nanoTime() - started) / 1_000_000;
        double refusedCount = proxy.metric(refused("max_requests_in_flight_per_client"));
        System.out.printf("[in-flight] %s: 8 x 128 uploads from one address: %d through, %d REFUSED_STREAM, "
                        + "upstream connections counted %.0f, open at the backend %d, in %d ms%n", name,
                uploads.size() - refusedStreams(uploads), refusedStreams(uploads), proxy.metric(COUNTED),
                app.openConnections(), settledMillis);
        assertThat(refusedCount).isEqualTo(1024.0 - expectedThrough);
        assertThat(proxy.metric(COUNTED)).isEqualTo((double) expectedThrough);

        for (Channel connection : connections) {
            connection.close().await(5, TimeUnit.SECONDS);
        }
        awaitDrained();
    }

    // ---- helpers ---------------------------------------------------------------------------

    private void startProxy(String limits) throws Exception {
        proxy = RunningProxy.start(dir, """
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: in-flight, generation: 1}
                spec:
                  hosts: ["localhost"]
                  tls:
                    certificates: [{secretName: site-tls}]
                    httpRedirect: false
                  limits: {%s}
                  routes:
                    - match: {path: {value: /other}}
                      backend: {service: 127.0.0.1, port: %d}
                    - match: {path: {value: /}}
                      backend: {service: 127.0.0.1, port: %d}
                """.formatted(limits, other.port(), app.port()));
    }

    private static String refused(String reason) {
        return "portico_requests_refused_total{reason=\"" + reason + "\"}";
    }

    /** Opens {@code connectionCount} new h2 connections and {@code perConnection} uploads on each. */
    private List<Upload> openUploads(int connectionCount, int perConnection, String path) throws Exception {
        List<Channel> opened = new ArrayList<>();
        for (int i = 0; i < connectionCount; i++) {
            Channel connection = H2Connections.connect(group, H2Connections.clientContext(ca.certificate()),
                    proxy.runtime().httpsPort(), pipeline -> {
                        pipeline.addLast(Http2FrameCodecBuilder.forClient().frameLogger(resets).build());
                        pipeline.addLast(new Http2MultiplexHandler(new ChannelInitializer<Channel>() {
                            @Override
                            protected void initChannel(Channel pushed) {
                                // the proxy never pushes
                            }
                        }));
                    }).get(WAIT.toSeconds(), TimeUnit.SECONDS);
            connections.add(connection);
            opened.add(connection);
        }
        return openUploads(opened, perConnection, path);
    }

    /** On each of {@code on}: {@code perConnection} POSTs that declare 16 bytes and send 4. */
    private List<Upload> openUploads(List<Channel> on, int perConnection, String path) throws Exception {
        List<Upload> uploads = new ArrayList<>();
        for (int n = 0; n < perConnection; n++) {
            for (Channel connection : on) {
                Upload upload = new Upload();
                Http2StreamChannel stream = new Http2StreamChannelBootstrap(connection).handler(upload).open()
                        .get(WAIT.toSeconds(), TimeUnit.SECONDS);
                upload.stream = stream;
                Http2Headers headers = new DefaultHttp2Headers().method("POST").path(path + "/" + uploads.size())
                        .scheme("https").authority("localhost:" + proxy.runtime().httpsPort());
                headers.setInt("content-length", 16);
                stream.write(new DefaultHttp2HeadersFrame(headers, false));
                stream.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(new byte[4]), false));
                uploads.add(upload);
            }
        }
        return uploads;
    }

    /** Waits until all but {@code through} of {@code uploads} are refused and the rest reached a backend. */
    private void awaitSettled(List<Upload> uploads, int through) {
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(refusedStreams(uploads)).isEqualTo(uploads.size() - through);
            assertThat(uploads).filteredOn(u -> !u.refused()).noneMatch(u -> u.closed.isDone());
        });
    }

    private static long refusedStreams(List<Upload> uploads) {
        return uploads.stream().filter(Upload::refused).count();
    }

    /** Every request over, every upstream connection closed, on both sides. */
    private void awaitDrained() {
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(proxy.metric(IN_FLIGHT)).isZero();
            assertThat(proxy.metric(COUNTED)).isZero();
            assertThat(proxy.metric(OPEN)).isZero();
            assertThat(app.openConnections() + other.openConnections()).isZero();
        });
    }

    /** One upload stream: its response status, or the reset that ended it. */
    static final class Upload extends ChannelInboundHandlerAdapter {
        volatile Http2StreamChannel stream;
        volatile String status;
        volatile String reset;
        final CompletableFuture<Void> closed = new CompletableFuture<>();

        boolean refused() {
            return "REFUSED_STREAM".equals(reset);
        }

        /** Sends the 12 bytes still owed, ending the request. */
        void finish() {
            stream.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(new byte[12]), true));
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof Http2HeadersFrame headers && headers.headers().status() != null) {
                status = headers.headers().status().toString();
            }
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof Http2ResetFrame frame) {
                reset = Http2Error.valueOf(frame.errorCode()).name();
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            closed.complete(null);
            ctx.fireChannelInactive();
        }
    }

    /** RST_STREAM frames the client received, by error code, over all connections. */
    static final class ResetLog extends Http2FrameLogger {
        final Map<String, Integer> inbound = new ConcurrentHashMap<>();
        final Map<String, Integer> outbound = new ConcurrentHashMap<>();

        ResetLog() {
            super(LogLevel.TRACE, ResetLog.class);
        }

        @Override
        public boolean isEnabled() {
            return true;
        }

        @Override
        public void logRstStream(Direction direction, ChannelHandlerContext ctx, int streamId, long errorCode) {
            (direction == Direction.INBOUND ? inbound : outbound)
                    .merge(Http2Error.valueOf(errorCode).name(), 1, Integer::sum);
        }

        @Override
        public void logData(Direction direction, ChannelHandlerContext ctx, int streamId, ByteBuf data, int padding,
                            boolean endStream) {}

        @Override
        public void logHeaders(Direction direction, ChannelHandlerContext ctx, int streamId, Http2Headers headers,
                               int padding, boolean endStream) {}

        @Override
        public void logHeaders(Direction direction, ChannelHandlerContext ctx, int streamId, Http2Headers headers,
                               int streamDependency, short weight, boolean exclusive, int padding,
                               boolean endStream) {}
    }
}
