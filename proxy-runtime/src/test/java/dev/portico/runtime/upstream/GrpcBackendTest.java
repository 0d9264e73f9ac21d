package dev.portico.runtime.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portico.runtime.testing.FreePorts;
import dev.portico.runtime.testing.RunningProxy;
import dev.portico.runtime.tls.TestCertificates;
import dev.portico.runtime.tls.TestCertificates.KeyFormat;
import io.grpc.CallOptions;
import io.grpc.Context;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.MethodDescriptor.MethodType;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * grpc-java clients and servers through the proxy: client over TLS (ALPN h2) to the proxy, the proxy to a
 * {@code protocol: GRPC} backend in cleartext (h2c) or over TLS. Methods are built by hand on byte arrays, so no
 * protoc: unary, server streaming, client streaming, bidi, plus methods that hang, fail, or fail midway.
 */
@Timeout(60)
class GrpcBackendTest {

    private static final int MAX_MESSAGE = 32 * 1024 * 1024;
    private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    static TestCertificates.Ca ca;
    @TempDir
    Path dir;
    Server plain;
    Server tls;
    RunningProxy proxy;
    ManagedChannel channel;
    /** Counted down each time the backend sees a call cancelled (client gone, deadline, proxy reset). */
    final BlockingQueue<String> cancelled = new LinkedBlockingQueue<>();

    @BeforeAll
    static void certificates() {
        ca = TestCertificates.newCa("Portico Test CA");
    }

    @BeforeEach
    void start() throws IOException {
        TestCertificates.write(dir.resolve("secrets"), "site-tls",
                ca.issue(TestCertificates.leaf("site").ec().sans("localhost")), KeyFormat.TRADITIONAL);
        plain = server(InsecureServerCredentials.create(), "test.Echo", "slow.Echo");
        var issued = TestCertificates.selfSigned(TestCertificates.leaf("grpc.backend.test").sans("grpc.backend.test"));
        tls = server(TlsServerCredentials.newBuilder()
                .keyManager(stream(TestCertificates.certificatePem(issued.chain())),
                        stream(TestCertificates.keyPem(issued.key(), KeyFormat.PKCS8)))
                .build(), "tls.Echo");
        proxy = RunningProxy.start(dir, site(""));
        channel = Grpc.newChannelBuilderForAddress("localhost", proxy.runtime().httpsPort(),
                        TlsChannelCredentials.newBuilder()
                                .trustManager(stream(TestCertificates.certificatePem(List.of(ca.certificate()))))
                                .build())
                .maxInboundMessageSize(MAX_MESSAGE)
                .build();
    }

    private String site(String extraRoute) {
        return """
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: grpc, generation: 1}
                spec:
                  hosts: ["*"]
                  tls:
                    certificates: [{secretName: site-tls}]
                  limits: {maxRequestBodySize: 64Mi}
                  routes:
                %s
                    - match: {path: {value: /tls.Echo}}
                      backend: {service: 127.0.0.1, port: %d, protocol: GRPC, tls: {insecureSkipVerify: true}}
                    - match: {path: {value: /slow.Echo}}
                      backend: {service: 127.0.0.1, port: %d, protocol: GRPC}
                      timeouts: {response: 300ms}
                    - match: {path: {value: /down.Echo}}
                      backend: {service: 127.0.0.1, port: %d, protocol: GRPC}
                    - match: {path: {value: /}}
                      backend: {service: 127.0.0.1, port: %d, protocol: GRPC}
                """.formatted(extraRoute, tls.getPort(), plain.getPort(), FreePorts.next(), plain.getPort());
    }

    @AfterEach
    void stop() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        proxy.close();
        plain.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        tls.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    // ---- the four kinds of call ------------------------------------------------------

    @Test
    void unaryToCleartextAndTlsBackends() {
        assertThat(text(unary("test.Echo", "Echo", bytes("hello")))).isEqualTo("hello");
        assertThat(text(unary("tls.Echo", "Echo", bytes("over tls")))).isEqualTo("over tls");
        assertThat(text(unary("test.Echo", "Echo", bytes("again")))).isEqualTo("again");
        assertThat(proxy.metric("portico_upstream_http2_streams_total")).isEqualTo(3.0);
    }

    @Test
    void serverStreamingOfManyMessages() {
        Iterator<byte[]> replies = ClientCalls.blockingServerStreamingCall(channel, method("test.Echo", "Download",
                MethodType.SERVER_STREAMING), CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS),
                ByteBuffer.allocate(8).putInt(2000).putInt(1024).array());
        int count = 0;
        while (replies.hasNext()) {
            byte[] reply = replies.next();
            byte[] expected = new byte[1024];
            Arrays.fill(expected, (byte) count);
            assertThat(Arrays.equals(reply, expected)).as("message %d", count).isTrue();
            count++;
        }
        assertThat(count).isEqualTo(2000);
    }

    @Test
    void clientStreaming() throws Exception {
        Reply reply = new Reply();
        StreamObserver<byte[]> requests = ClientCalls.asyncClientStreamingCall(
                channel.newCall(method("test.Echo", "Upload", MethodType.CLIENT_STREAMING), CallOptions.DEFAULT), reply);
        for (int i = 0; i < 500; i++) {
            requests.onNext(new byte[1024]);
        }
        requests.onCompleted();

        assertThat(text(reply.take())).isEqualTo("500/512000");
        reply.assertCompleted();
    }

    @Test
    void bidiStreamingInterleaved() throws Exception {
        Reply replies = new Reply();
        StreamObserver<byte[]> requests = ClientCalls.asyncBidiStreamingCall(
                channel.newCall(method("test.Echo", "Chat", MethodType.BIDI_STREAMING), CallOptions.DEFAULT), replies);
        for (int i = 0; i < 50; i++) {
            requests.onNext(bytes("message " + i));
            assertThat(text(replies.take())).isEqualTo("message " + i); // each answered before the next goes
        }
        requests.onCompleted();
        replies.assertCompleted();
    }

    @Test
    void largeMessagesBothWaysOverCleartextAndTls() {
        byte[] large = new byte[8 * 1024 * 1024];
        new Random(14).nextBytes(large);
        for (String service : List.of("test.Echo", "tls.Echo")) {
            byte[] echoed = ClientCalls.blockingUnaryCall(channel, method(service, "Echo", MethodType.UNARY),
                    CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS), large);
            assertThat(Arrays.equals(echoed, large)).as(service).isTrue();
        }
    }

    /** A config push that leaves the route alone keeps the pooled HTTP/2 connection and the streams on it. */
    @Test
    void configPushLeavesAStreamInFlightAlone() throws Exception {
        Reply replies = new Reply();
        StreamObserver<byte[]> requests = ClientCalls.asyncBidiStreamingCall(
                channel.newCall(method("test.Echo", "Chat", MethodType.BIDI_STREAMING), CallOptions.DEFAULT), replies);
        requests.onNext(bytes("before"));
        assertThat(text(replies.take())).isEqualTo("before");

        proxy.reconfigure(site("""
                    - match: {path: {value: /other}}
                      respond: {status: 200, body: other}
                """).replace("generation: 1", "generation: 2"));
        assertThat(proxy.runtime().currentConfig().router().toString()).isNotNull();

        requests.onNext(bytes("after"));
        assertThat(text(replies.take())).isEqualTo("after");
        requests.onCompleted();
        replies.assertCompleted();
        assertThat(proxy.metric("portico_upstream_http2_connects_total")).isEqualTo(1.0);
    }

    // ---- deadlines, cancellation and failures ----------------------------------------

    @Test
    void clientDeadlineCancelsTheBackendCall() throws Exception {
        assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(channel, method("test.Echo", "Hang", MethodType.UNARY),
                CallOptions.DEFAULT.withDeadlineAfter(500, TimeUnit.MILLISECONDS), bytes("x")))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
        assertThat(cancelled.poll(10, TimeUnit.SECONDS)).isEqualTo("Hang");
    }

    @Test
    void routeResponseTimeoutIsDeadlineExceededFromTheProxy() throws Exception {
        assertThatThrownBy(() -> unary("slow.Echo", "Hang", bytes("x")))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
                    assertThat(e.getStatus().getDescription()).isEqualTo("portico: 504 Gateway Timeout");
                });
        assertThat(cancelled.poll(10, TimeUnit.SECONDS)).as("the proxy resets the backend's stream").isEqualTo("Hang");
    }

    /** grpc-timeout shortens the route's response timeout (60 s here): the proxy answers at the client's deadline. */
    @Test
    void grpcTimeoutHeaderCapsTheRouteTimeout() throws Exception {
        HttpClient client = HttpClient.newBuilder().sslContext(ca.clientContext()).version(HttpClient.Version.HTTP_2)
                .build();
        long start = System.nanoTime();
        HttpResponse<byte[]> response = client.send(HttpRequest.newBuilder(
                        URI.create("https://localhost:" + proxy.runtime().httpsPort() + "/test.Echo/Hang"))
                .header("content-type", "application/grpc")
                .header("te", "trailers")
                .header("grpc-timeout", "400m")
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[] {0, 0, 0, 0, 1, 'x'}))
                .build(), HttpResponse.BodyHandlers.ofByteArray());

        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isBetween(350L, 5000L);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("grpc-status")).hasValue("4");
        assertThat(response.headers().firstValue("content-type")).hasValue("application/grpc");
        assertThat(response.body()).isEmpty();
        assertThat(cancelled.poll(10, TimeUnit.SECONDS)).isEqualTo("Hang");
    }

    @Test
    void clientCancellationReachesTheBackend() throws Exception {
        Context.CancellableContext context = Context.current().withCancellation();
        Iterator<byte[]> ticks = context.call(() -> ClientCalls.blockingServerStreamingCall(channel,
                method("test.Echo", "Ticks", MethodType.SERVER_STREAMING), CallOptions.DEFAULT, bytes("go")));
        for (int i = 0; i < 3; i++) {
            assertThat(text(ticks.next())).isEqualTo("tick " + i);
        }

        context.cancel(null);

        assertThat(cancelled.poll(10, TimeUnit.SECONDS)).isEqualTo("Ticks");
    }

    @Test
    void backendErrorStatusReachesTheClient() {
        assertThatThrownBy(() -> unary("test.Echo", "Fail", bytes("x")))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
                    assertThat(e.getStatus().getDescription()).isEqualTo("nope");
                });
        // The connection and the proxy are fine afterwards.
        assertThat(text(unary("test.Echo", "Echo", bytes("still here")))).isEqualTo("still here");
    }

    @Test
    void backendFailingMidStreamEndsTheStreamWithItsStatus() {
        Iterator<byte[]> replies = ClientCalls.blockingServerStreamingCall(channel,
                method("test.Echo", "Break", MethodType.SERVER_STREAMING), CallOptions.DEFAULT, bytes("x"));
        List<String> received = new ArrayList<>();
        assertThatThrownBy(() -> replies.forEachRemaining(r -> received.add(text(r))))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.ABORTED);
                    assertThat(e.getStatus().getDescription()).isEqualTo("midway");
                });
        assertThat(received).containsExactly("part 0", "part 1", "part 2");
    }

    @Test
    void backendDownIsUnavailableNotAnHtmlError() {
        assertThatThrownBy(() -> unary("down.Echo", "Echo", bytes("x")))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                    assertThat(e.getStatus().getDescription()).isEqualTo("portico: 502 Bad Gateway");
                });
    }

    // ---- the backend -----------------------------------------------------------------

    private Server server(ServerCredentials credentials, String... services) throws IOException {
        NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0), credentials)
                .maxInboundMessageSize(MAX_MESSAGE);
        for (String service : services) {
            builder.addService(service(service));
        }
        return builder.build().start();
    }

    private ServerServiceDefinition service(String name) {
        return ServerServiceDefinition.builder(name)
                .addMethod(method(name, "Echo", MethodType.UNARY), ServerCalls.asyncUnaryCall((request, reply) -> {
                    reply.onNext(request);
                    reply.onCompleted();
                }))
                .addMethod(method(name, "Download", MethodType.SERVER_STREAMING),
                        ServerCalls.asyncServerStreamingCall((request, reply) -> {
                            ByteBuffer ask = ByteBuffer.wrap(request);
                            int count = ask.getInt();
                            int size = ask.getInt();
                            for (int i = 0; i < count; i++) {
                                byte[] message = new byte[size];
                                Arrays.fill(message, (byte) i);
                                reply.onNext(message);
                            }
                            reply.onCompleted();
                        }))
                .addMethod(method(name, "Upload", MethodType.CLIENT_STREAMING),
                        ServerCalls.asyncClientStreamingCall((StreamObserver<byte[]> reply) -> new StreamObserver<byte[]>() {
                            int count;
                            long bytes;

                            @Override
                            public void onNext(byte[] value) {
                                count++;
                                bytes += value.length;
                            }

                            @Override
                            public void onError(Throwable t) {}

                            @Override
                            public void onCompleted() {
                                reply.onNext(bytes(count + "/" + bytes));
                                reply.onCompleted();
                            }
                        }))
                .addMethod(method(name, "Chat", MethodType.BIDI_STREAMING),
                        ServerCalls.asyncBidiStreamingCall((StreamObserver<byte[]> reply) -> new StreamObserver<byte[]>() {
                            @Override
                            public void onNext(byte[] value) {
                                reply.onNext(value);
                            }

                            @Override
                            public void onError(Throwable t) {}

                            @Override
                            public void onCompleted() {
                                reply.onCompleted();
                            }
                        }))
                .addMethod(method(name, "Hang", MethodType.UNARY), ServerCalls.asyncUnaryCall((request, reply) ->
                        ((ServerCallStreamObserver<byte[]>) reply).setOnCancelHandler(() -> cancelled.add("Hang"))))
                .addMethod(method(name, "Ticks", MethodType.SERVER_STREAMING),
                        ServerCalls.asyncServerStreamingCall((request, reply) -> {
                            var observer = (ServerCallStreamObserver<byte[]>) reply;
                            observer.setOnCancelHandler(() -> cancelled.add("Ticks"));
                            Thread ticker = new Thread(() -> {
                                for (int i = 0; !observer.isCancelled() && i < 1000; i++) {
                                    observer.onNext(bytes("tick " + i));
                                    sleep(20);
                                }
                            }, "ticks");
                            ticker.setDaemon(true);
                            ticker.start();
                        }))
                .addMethod(method(name, "Fail", MethodType.UNARY), ServerCalls.asyncUnaryCall((request, reply) ->
                        reply.onError(Status.RESOURCE_EXHAUSTED.withDescription("nope").asRuntimeException())))
                .addMethod(method(name, "Break", MethodType.SERVER_STREAMING),
                        ServerCalls.asyncServerStreamingCall((request, reply) -> {
                            for (int i = 0; i < 3; i++) {
                                reply.onNext(bytes("part " + i));
                            }
                            reply.onError(Status.ABORTED.withDescription("midway").asRuntimeException());
                        }))
                .build();
    }

    // ---- helpers -----------------------------------------------------------------------

    private static MethodDescriptor<byte[], byte[]> method(String service, String name, MethodType type) {
        return MethodDescriptor.<byte[], byte[]>newBuilder()
                .setType(type)
                .setFullMethodName(MethodDescriptor.generateFullMethodName(service, name))
                .setRequestMarshaller(BYTES)
                .setResponseMarshaller(BYTES)
                .build();
    }

    private byte[] unary(String service, String name, byte[] request) {
        return ClientCalls.blockingUnaryCall(channel, method(service, name, MethodType.UNARY),
                CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS), request);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static InputStream stream(String pem) {
        return new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII));
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** What a streaming call answers, in order, and how it ended. */
    private static final class Reply implements StreamObserver<byte[]> {

        private final BlockingQueue<byte[]> messages = new LinkedBlockingQueue<>();
        private final CountDownLatch done = new CountDownLatch(1);
        private volatile Throwable error;

        @Override
        public void onNext(byte[] value) {
            messages.add(value);
        }

        @Override
        public void onError(Throwable t) {
            error = t;
            done.countDown();
        }

        @Override
        public void onCompleted() {
            done.countDown();
        }

        byte[] take() throws InterruptedException {
            byte[] message = messages.poll(10, TimeUnit.SECONDS);
            if (message == null) {
                throw new AssertionError("no reply", error);
            }
            return message;
        }

        void assertCompleted() throws InterruptedException {
            assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(error).isNull();
        }
    }
}
