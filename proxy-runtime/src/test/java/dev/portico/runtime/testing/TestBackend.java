package dev.portico.runtime.testing;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.util.concurrent.GlobalEventExecutor;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A real HTTP/1.1 origin on 127.0.0.1 with httpbin-like endpoints, for end-to-end tests of the proxy. It records
 * every request it receives (headers verbatim, body summarised) so tests can assert what the proxy forwarded.
 *
 * <p>Endpoints (query parameters in brackets, with defaults):
 * <ul>
 *   <li>any path: {@code 200 text/plain "ok <name> <METHOD> <uri>"} with {@code X-Received-Bytes} and
 *       {@code X-Received-Sha256} describing the request body;</li>
 *   <li>{@code /__status} [code=200, body=""];</li>
 *   <li>{@code /__slow} [delayMs=1000]: the default answer, after a delay;</li>
 *   <li>{@code /__chunks} [count=3, delayMs=0, size=16, abortAfter=none]: a chunked body; with
 *       {@code abortAfter} the connection closes after that many chunks, before the terminating one;</li>
 *   <li>{@code /__download} [bytes=0, abortAfter=none]: a {@link #downloadSha256(long) deterministic} body,
 *       written with backpressure; with {@code abortAfter} the connection is closed once that many bytes are out,
 *       an origin dying mid-body;</li>
 *   <li>{@code /__sse} [events=3, intervalMs=100, hold=false]: server-sent events;</li>
 *   <li>{@code /__close}, {@code /__reset}, {@code /__garbage}: misbehaving origins; {@code /__close?ifReused=true}
 *       closes only a connection that already answered a request (else the default answer): the keep-alive race
 *       where an origin drops an idle connection just as the proxy reuses it;</li>
 *   <li>{@code /__headers} [any name=value, repeatable]: those response headers;</li>
 *   <li>{@code /__text} [bytes=2048, type=text/plain, chunked=false, encoding]: a compressible body of
 *       {@link #textBody(int) known} bytes, for compression tests;</li>
 *   <li>{@code Upgrade: websocket} on any path: a WebSocket echo ({@code close} drops the TCP connection,
 *       {@code bye} makes the server send a Close frame).</li>
 * </ul>
 * {@code Expect: 100-continue} is honoured (the recorded request keeps the header). Pipelined requests are answered
 * strictly in order.
 */
public final class TestBackend implements AutoCloseable {

    private static final Duration TAKE_TIMEOUT = Duration.ofSeconds(10);
    private static final long CLOSE_TIMEOUT_MS = 5_000;
    /** Generous limits: tests send long URIs and big headers on purpose to see what the proxy lets through. */
    private static final HttpDecoderConfig DECODER = new HttpDecoderConfig()
            .setMaxInitialLineLength(64 * 1024)
            .setMaxHeaderSize(64 * 1024)
            .setMaxChunkSize(64 * 1024);

    private final String name;
    private final SslContext tls;
    private final ChannelGroup connections;
    private final BlockingQueue<RecordedRequest> untaken = new LinkedBlockingQueue<>();
    private final List<RecordedRequest> recorded = new CopyOnWriteArrayList<>();
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicLong requestBodyBytes = new AtomicLong();
    private final AtomicLong downloadBytes = new AtomicLong();
    private Channel serverChannel;

    private TestBackend(String name, SslContext tls) {
        this.name = name;
        this.tls = tls;
        this.connections = new DefaultChannelGroup("test-backend-" + name, GlobalEventExecutor.INSTANCE);
    }

    public static TestBackend start() {
        return start("backend");
    }

    public static TestBackend start(String name) {
        TestBackend backend = new TestBackend(name, null);
        backend.bind();
        return backend;
    }

    /**
     * The same origin behind TLS with a self-signed certificate for {@code name}: an app that
     * serves HTTPS itself, which a proxy reaches with {@code protocol: HTTPS} and, since no
     * one trusts that certificate, {@code insecureSkipVerify}.
     */
    public static TestBackend startTls(String name) {
        var issued = dev.portico.runtime.tls.TestCertificates.selfSigned(dev.portico.runtime.tls.TestCertificates.leaf(name));
        try {
            SslContext tls = SslContextBuilder.forServer(issued.key(), issued.chain().toArray(new java.security.cert.X509Certificate[0]))
                    .build();
            TestBackend backend = new TestBackend(name, tls);
            backend.bind();
            return backend;
        } catch (javax.net.ssl.SSLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** SHA-256 (lower-case hex) of the first {@code n} bytes {@code /__download} sends. */
    public static String downloadSha256(long n) {
        return DownloadPattern.sha256(n);
    }

    /** The body {@code /__text?bytes=n} sends. */
    public static byte[] textBody(int n) {
        return TextResponder.body(n);
    }

    private void bind() {
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(BackendEventLoop.GROUP)
                .channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        assemblePipeline(ch);
                    }
                });
        ChannelFuture bound = bootstrap.bind("127.0.0.1", 0);
        if (!bound.awaitUninterruptibly(CLOSE_TIMEOUT_MS) || !bound.isSuccess()) {
            bound.channel().close();
            throw new IllegalStateException("test backend " + name + " could not bind", bound.cause());
        }
        serverChannel = bound.channel();
    }

    /** The whole per-connection pipeline; the WebSocket upgrade later swaps the HTTP handlers for frame ones. */
    private void assemblePipeline(SocketChannel ch) {
        int connectionId = accepted.incrementAndGet();
        open.incrementAndGet();
        ch.closeFuture().addListener(f -> open.decrementAndGet());
        connections.add(ch);

        ChannelPipeline p = ch.pipeline();
        if (tls != null) {
            p.addLast("tls", tls.newHandler(ch.alloc()));
        }
        p.addLast("http", new HttpServerCodec(DECODER));
        // Adds Connection: close / keep-alive to responses and closes after the last one when the client asked.
        p.addLast("keepAlive", new HttpServerKeepAliveHandler());
        p.addLast("backend", new BackendHttpHandler(this, connectionId));
    }

    public String name() {
        return name;
    }

    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    /** {@code http://127.0.0.1:<port>} (https for {@link #startTls}) without a trailing slash. */
    public String baseUrl() {
        return (tls == null ? "http" : "https") + "://127.0.0.1:" + port();
    }

    /** The next request not yet taken, waiting up to 10 s; fails the test if none arrives. */
    public RecordedRequest takeRequest() {
        return pollRequest(TAKE_TIMEOUT).orElseThrow(() -> new AssertionError(
                "backend '" + name + "' received no request within " + TAKE_TIMEOUT.toSeconds()
                        + " s; all requests so far: " + recorded));
    }

    /**
     * The next request not yet taken, or empty when none arrives within {@code timeout}. Use this to assert that the
     * proxy did <em>not</em> forward something.
     */
    public Optional<RecordedRequest> pollRequest(Duration timeout) {
        try {
            return Optional.ofNullable(untaken.poll(timeout.toMillis(), TimeUnit.MILLISECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for a request", e);
        }
    }

    /** Every request recorded so far, taken or not, in arrival order. */
    public List<RecordedRequest> requests() {
        return List.copyOf(recorded);
    }

    /** TCP connections accepted since start; stays at 1 across requests when the proxy reuses its upstream connection. */
    public int connectionsAccepted() {
        return accepted.get();
    }

    /** Connections currently open. Updated asynchronously after a close, so assert it with Awaitility. */
    public int openConnections() {
        return open.get();
    }

    /**
     * Request body bytes read so far, over all requests and connections, counted as they arrive rather than when a
     * body ends: shows that an upload streams through the proxy before the client has finished sending it.
     */
    public long requestBodyBytesReceived() {
        return requestBodyBytes.get();
    }

    /**
     * Body bytes {@code /__download} responses have handed to their connections so far. The responder writes only
     * while its channel is writable, so this stays within a few buffers of what the peer actually read: a reader
     * that stops makes it stop.
     */
    public long downloadBytesWritten() {
        return downloadBytes.get();
    }

    /** Closes every open connection but keeps listening: an origin dropping its idle keep-alive connections. */
    /**
     * Refuses new connections and keeps answering on the open ones, as an app that got SIGTERM
     * finishes what it has; {@link #close()} then ends those too.
     */
    public void stopAccepting() {
        if (serverChannel != null) {
            serverChannel.close().awaitUninterruptibly(CLOSE_TIMEOUT_MS);
        }
    }

    public void closeConnections() {
        connections.close().awaitUninterruptibly(CLOSE_TIMEOUT_MS);
    }

    void countRequestBody(int bytes) {
        requestBodyBytes.addAndGet(bytes);
    }

    void countDownload(int bytes) {
        downloadBytes.addAndGet(bytes);
    }

    void record(RecordedRequest request) {
        recorded.add(request);
        untaken.add(request);
    }

    @Override
    public void close() {
        if (serverChannel != null) {
            serverChannel.close().awaitUninterruptibly(CLOSE_TIMEOUT_MS);
        }
        connections.close().awaitUninterruptibly(CLOSE_TIMEOUT_MS);
    }

    @Override
    public String toString() {
        return "TestBackend[" + name + " @ " + (serverChannel == null ? "unbound" : baseUrl()) + "]";
    }
}
