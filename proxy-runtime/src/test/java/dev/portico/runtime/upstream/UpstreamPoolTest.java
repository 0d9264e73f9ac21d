package dev.portico.runtime.upstream;

import static dev.portico.runtime.testing.ScriptedBackend.after;
import static dev.portico.runtime.testing.ScriptedBackend.now;
import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.runtime.routing.RouteAction.UpstreamTarget;
import dev.portico.runtime.testing.ScriptedBackend;
import dev.portico.runtime.tls.UpstreamTlsContexts;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.resolver.DefaultAddressResolverGroup;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The pool's own rule, without the proxy around it: a connection goes back to the pool only when its codec is idle.
 * The exchanges never hand back a connection whose response has not ended; this holds the pool to refusing one
 * anyway.
 */
@Timeout(30)
class UpstreamPoolTest {

    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

    EventLoopGroup group;
    EventLoop loop;
    ScriptedBackend backend;
    CountingStats stats;
    UpstreamPool pool;
    UpstreamTarget target;

    @BeforeEach
    void start() throws Exception {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        loop = group.next();
        backend = ScriptedBackend.start();
        stats = new CountingStats();
        pool = loop.submit(() -> new UpstreamPool(loop, NioSocketChannel.class, stats, new UpstreamTlsContexts(),
                DefaultAddressResolverGroup.INSTANCE)).get();
        target = new UpstreamTarget("127.0.0.1", backend.port(), false, null, false);
    }

    @AfterEach
    void stop() {
        backend.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void connectionHandedBackBeforeItsResponseEndedIsClosedAndCounted() throws Exception {
        backend.script("/slow", after(Duration.ofMillis(500), "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        UpstreamConnection connection = acquire(new Recorder());

        loop.submit(() -> {
            connection.channel().writeAndFlush(request("/slow"));
            connection.release();
        }).get();

        assertThat(connection.channel().closeFuture().await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(stats.discarded).containsEntry(UpstreamStats.Discard.NOT_IDLE, 1);
        assertThat(loop.submit(pool::idleConnections).get()).isZero();
    }

    @Test
    void connectionWhoseResponseEndedIsPooledAndTakenAgain() throws Exception {
        backend.script("/ok", now("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        Recorder recorder = new Recorder();
        UpstreamConnection first = acquire(recorder);
        loop.submit(() -> first.channel().writeAndFlush(request("/ok"))).get();
        assertThat(recorder.ended.poll(5, TimeUnit.SECONDS)).isNotNull();

        loop.submit(first::release).get();
        assertThat(loop.submit(pool::idleConnections).get()).isEqualTo(1);
        UpstreamConnection second = acquire(new Recorder());

        assertThat(second.channel()).isSameAs(first.channel());
        assertThat(second.reused()).isTrue();
        assertThat(stats.reused.get()).isEqualTo(1);
        assertThat(stats.discarded).isEmpty();
    }

    private UpstreamConnection acquire(UpstreamListener listener) throws Exception {
        return loop.submit(() -> pool.acquire(target, CONNECT_TIMEOUT, listener)).get()
                .get(5, TimeUnit.SECONDS);
    }

    private static DefaultFullHttpRequest request(String target) {
        DefaultFullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, target);
        request.headers().set(HttpHeaderNames.HOST, "backend");
        return request;
    }

    /** Signals the end of each response and drops its pieces. */
    static final class Recorder implements UpstreamListener {
        final BlockingQueue<Boolean> ended = new LinkedBlockingQueue<>();

        @Override
        public void onUpstreamMessage(Object message) {
            if (message instanceof LastHttpContent) {
                ended.add(true);
            }
            ReferenceCountUtil.release(message);
        }

        @Override public void onUpstreamReadComplete() {}
        @Override public void onUpstreamWritabilityChanged(boolean writable) {}
        @Override public void onUpstreamClosed(Throwable cause) {}
    }

    static final class CountingStats implements UpstreamStats {
        final AtomicInteger reused = new AtomicInteger();
        final Map<Discard, Integer> discarded = new ConcurrentHashMap<>();

        @Override public void opened() {}
        @Override public void closed() {}
        @Override public void connectFailed() {}
        @Override public void reused() {
            reused.incrementAndGet();
        }
        @Override public void discarded(Discard reason) {
            discarded.merge(reason, 1, Integer::sum);
        }
    }
}
