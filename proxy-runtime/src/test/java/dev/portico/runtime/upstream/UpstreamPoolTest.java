package dev.portico.runtime.upstream;

import static dev.portico.runtime.testing.ScriptedBackend.after;
import static dev.portico.runtime.testing.ScriptedBackend.now;
import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.runtime.routing.RouteAction.UpstreamTarget;
import dev.portico.runtime.testing.FreePorts;
import dev.portico.runtime.testing.ScriptedBackend;
import dev.portico.runtime.tls.UpstreamTlsContexts;
import io.netty.channel.ChannelInboundHandlerAdapter;
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
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
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
    UpstreamBudget budget;
    UpstreamPool pool;
    UpstreamTarget target;

    @BeforeEach
    void start() throws Exception {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        loop = group.next();
        backend = ScriptedBackend.start();
        stats = new CountingStats();
        budget = new UpstreamBudget();
        pool = loop.submit(() -> new UpstreamPool(loop, NioSocketChannel.class, stats, budget,
                new UpstreamTlsContexts(), DefaultAddressResolverGroup.INSTANCE)).get();
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

    /**
     * Sized by demand: a burst larger than the floor keeps all its connections for the next one,
     * and what the traffic then leaves unused goes at the next sweep, down to the floor, the rest
     * after the idle timeout. Connections are taken newest first, so the one in use stays.
     */
    @Test
    void theIdleConnectionsOfABurstAreKeptAndTrimmedToTheFloorWhenUnused() throws Exception {
        backend.script("/ok", now("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        int burst = UpstreamPool.IDLE_FLOOR_PER_TARGET + 20;
        Recorder recorder = new Recorder();
        java.util.List<UpstreamConnection> connections = new java.util.ArrayList<>();
        for (int i = 0; i < burst; i++) {
            connections.add(acquire(recorder));
        }
        loop.submit(() -> connections.forEach(c -> c.channel().writeAndFlush(request("/ok")))).get();
        for (int i = 0; i < burst; i++) {
            assertThat(recorder.ended.poll(5, TimeUnit.SECONDS)).isNotNull();
        }
        long released = loop.submit(() -> {
            connections.forEach(UpstreamConnection::release);
            return System.nanoTime();
        }).get();
        assertThat(loop.submit(pool::idleConnections).get()).as("the whole burst is kept").isEqualTo(burst);

        loop.submit(() -> pool.sweep(released + UpstreamPool.SURPLUS_IDLE.toNanos() / 2)).get();
        assertThat(loop.submit(pool::idleConnections).get()).as("young: all kept").isEqualTo(burst);

        UpstreamConnection newest = acquire(new Recorder());
        assertThat(newest.channel()).as("newest first").isSameAs(connections.get(burst - 1).channel());
        loop.submit(() -> pool.sweep(released + UpstreamPool.SURPLUS_IDLE.toNanos() * 2)).get();
        assertThat(loop.submit(pool::idleConnections).get()).as("unused for a sweep: down to the floor")
                .isEqualTo(UpstreamPool.IDLE_FLOOR_PER_TARGET);
        assertThat(newest.channel().isActive()).as("the one in use").isTrue();
        assertThat(connections.get(0).channel().closeFuture().await(5, TimeUnit.SECONDS))
                .as("the oldest idle ones went").isTrue();

        loop.submit(() -> pool.sweep(released + UpstreamPool.IDLE_TIMEOUT.toNanos() * 2)).get();
        assertThat(loop.submit(pool::idleConnections).get()).as("after the idle timeout").isZero();
    }

    /**
     * The budget counts every socket from connect to close, whatever ends it: a release to the pool
     * keeps the slot (the connection is still open), a discard, a close by the backend, a handover to
     * a tunnel that later closes, and a failed connect give it back, each exactly once.
     */
    @Test
    void theBudgetCountsEachSocketFromConnectToCloseAndRefusesOverItsCaps() throws Exception {
        backend.script("/ok", now("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        UpstreamConnection pooled = acquire(new Recorder(), 3, 3);
        UpstreamConnection discarded = acquire(new Recorder(), 3, 3);
        UpstreamConnection tunnelled = acquire(new Recorder(), 3, 3);
        assertThat(budget.total()).isEqualTo(3);
        assertThat(budget.of(target)).isEqualTo(3);

        Throwable refused = loop.submit(() -> pool.acquire(target, CONNECT_TIMEOUT, new Recorder(), 3, 10)).get()
                .await().cause();
        assertThat(refused).isInstanceOf(UpstreamLimitException.class);
        assertThat(((UpstreamLimitException) refused).refusal()).isEqualTo(UpstreamBudget.Refusal.PER_BACKEND);
        UpstreamTarget other = new UpstreamTarget("127.0.0.1", backend.port(), false, "other", false);
        refused = loop.submit(() -> pool.acquire(other, CONNECT_TIMEOUT, new Recorder(), 10, 3)).get().await().cause();
        assertThat(((UpstreamLimitException) refused).refusal()).isEqualTo(UpstreamBudget.Refusal.TOTAL);
        assertThat(budget.total()).as("a refusal takes nothing").isEqualTo(3);

        Recorder recorder = new Recorder();
        loop.submit(() -> {
            pooled.handler().attach(recorder);
            pooled.channel().writeAndFlush(request("/ok"));
        }).get();
        assertThat(recorder.ended.poll(5, TimeUnit.SECONDS)).isNotNull();
        loop.submit(pooled::release).get();
        assertThat(budget.total()).as("an idle pooled connection is still open").isEqualTo(3);

        loop.submit(discarded::discard).get();
        loop.submit(() -> tunnelled.handOver(new ChannelInboundHandlerAdapter())).get();
        assertThat(discarded.channel().closeFuture().await(5, TimeUnit.SECONDS)).isTrue();
        await(() -> budget.total() == 2);
        loop.submit(() -> tunnelled.channel().close()).get().await(5, TimeUnit.SECONDS);
        await(() -> budget.total() == 1);
        backend.close(); // closes the idle pooled connection from the backend's side
        await(() -> budget.total() == 0 && budget.of(target) == 0);

        // A connect that fails (nothing listens) gives its slot back too.
        UpstreamTarget closed = new UpstreamTarget("127.0.0.1", FreePorts.next(), false, null, false);
        Throwable failed = loop.submit(() -> pool.acquire(closed, CONNECT_TIMEOUT, new Recorder(), 1, 1)).get()
                .await().cause();
        assertThat(failed).isNotNull().isNotInstanceOf(UpstreamLimitException.class);
        await(() -> budget.total() == 0 && budget.of(closed) == 0);
    }

    private static void await(Callable<Boolean> condition) {
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(condition);
    }

    private UpstreamConnection acquire(UpstreamListener listener) throws Exception {
        return acquire(listener, Integer.MAX_VALUE, Integer.MAX_VALUE);
    }

    private UpstreamConnection acquire(UpstreamListener listener, int maxPerBackend, int maxTotal) throws Exception {
        return loop.submit(() -> pool.acquire(target, CONNECT_TIMEOUT, listener, maxPerBackend, maxTotal)).get()
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
