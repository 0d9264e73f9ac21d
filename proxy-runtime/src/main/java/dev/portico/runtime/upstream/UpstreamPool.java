package dev.portico.runtime.upstream;

import dev.portico.runtime.routing.RouteAction.UpstreamTarget;
import dev.portico.runtime.routing.RouteAction.Wire;
import dev.portico.runtime.tls.UpstreamTlsContexts;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslHandler;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLHandshakeException;

/**
 * Keep-alive upstream connections of one event loop. Every method runs on that loop, so
 * there are no locks: a downstream connection only ever borrows upstream connections
 * that live on its own loop (the Zuul and Netty-proxy shape).
 *
 * <p>Sized by demand: every connection whose exchange ended cleanly is kept, so a burst of N
 * concurrent requests finds N connections the next time instead of paying a connect (and the
 * backend an accept) for each one over a fixed cap; the budget (limits.maxUpstreamConnections*)
 * bounds them all. Connections are taken newest first, so those the traffic does not need stay
 * at the old end of the queue; the sweep closes those left unused for a whole sweep beyond a
 * floor kept for the next burst, and every one idle for {@link #IDLE_TIMEOUT}.
 *
 * <p>HTTP/2 targets share connections instead: each exchange gets a stream of an
 * {@link Http2Upstream} that has room, and a new connection is opened (within the same budget)
 * only when every one is full. One with no stream for {@link #IDLE_TIMEOUT} is closed.
 */
public final class UpstreamPool {

    /** Idle connections older than this are closed; backends commonly time out at 60 s or more. */
    static final Duration IDLE_TIMEOUT = Duration.ofSeconds(30);
    /** Idle connections per target kept until {@link #IDLE_TIMEOUT} however quiet the backend is. */
    static final int IDLE_FLOOR_PER_TARGET = 256;
    /** Beyond the floor, an idle connection not taken for this long was not needed: closed. */
    static final Duration SURPLUS_IDLE = Duration.ofSeconds(5);
    private static final long SWEEP_SECONDS = 5;

    private final EventLoop loop;
    private final Class<? extends Channel> channelType;
    private final UpstreamStats stats;
    private final UpstreamBudget budget;
    private final UpstreamTlsContexts tls;
    private final AddressResolverGroup<? extends SocketAddress> resolver;
    private final Map<UpstreamTarget, ArrayDeque<Idle>> idle = new HashMap<>();
    private final Map<UpstreamTarget, List<Http2Upstream>> http2 = new HashMap<>();
    private int idleCount;

    private record Idle(Channel channel, UpstreamHandler handler, UpstreamHttpCodec codec, long since) {}

    /**
     * @param budget   the caps on upstream connections, shared by the pools of all event loops
     * @param resolver turns a backend's service name and port into the address to connect to
     */
    public UpstreamPool(EventLoop loop, Class<? extends Channel> channelType, UpstreamStats stats,
                        UpstreamBudget budget, UpstreamTlsContexts tls,
                        AddressResolverGroup<? extends SocketAddress> resolver) {
        this.loop = loop;
        this.channelType = channelType;
        this.stats = stats;
        this.budget = budget;
        this.tls = tls;
        this.resolver = resolver;
        loop.scheduleAtFixedRate(this::closeExpired, SWEEP_SECONDS, SWEEP_SECONDS, TimeUnit.SECONDS);
    }

    /**
     * A pooled connection to {@code target} if one is alive, else a new one if the caps allow it;
     * otherwise the future fails with {@link UpstreamLimitException}.
     */
    public Future<UpstreamConnection> acquire(UpstreamTarget target, Duration connectTimeout,
                                              UpstreamListener listener, int maxPerBackend, int maxTotal) {
        return acquire(target, InetSocketAddress.createUnresolved(target.host(), target.port()), target,
                connectTimeout, listener, maxPerBackend, maxTotal);
    }

    /**
     * As {@link #acquire(UpstreamTarget, Duration, UpstreamListener, int, int)}, to one endpoint of a
     * balanced backend: connections are pooled per endpoint ({@code target}), and counted against the
     * per-backend cap of {@code backend}.
     *
     * @param remote where to connect: unresolved goes through the runtime's resolver
     */
    public Future<UpstreamConnection> acquire(UpstreamTarget target, SocketAddress remote, UpstreamTarget backend,
                                              Duration connectTimeout, UpstreamListener listener, int maxPerBackend,
                                              int maxTotal) {
        assert loop.inEventLoop();
        Promise<UpstreamConnection> promise = loop.newPromise();
        if (target.wire().mayBeHttp2()) {
            Http2Upstream shared = http2WithRoom(target);
            if (shared != null) {
                shared.openStream(listener, promise);
                return promise;
            }
        }
        ArrayDeque<Idle> queue = idle.get(target);
        while (queue != null && !queue.isEmpty()) {
            Idle entry = queue.pollLast();
            idleCount--;
            // Dirty: closing, but a TLS connection stays active while its close_notify goes out.
            if (entry.channel().isActive() && entry.codec().idle()) {
                stats.reused();
                entry.handler().attach(listener);
                return promise.setSuccess(new UpstreamConnection(this, target, entry.channel(), entry.handler(),
                        entry.codec(), true));
            }
        }
        UpstreamBudget.Refusal refusal = budget.tryAcquire(backend, maxPerBackend, maxTotal);
        if (refusal != null) {
            return promise.setFailure(new UpstreamLimitException(backend, refusal));
        }
        ChannelFuture connect = new Bootstrap()
                .group(loop)
                .channel(channelType)
                .resolver(resolver)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()))
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (target.tls()) {
                            ch.pipeline().addLast("tls", tls.newHandler(ch.alloc(), target.host(), target.port(),
                                    target.serverName(), target.insecureSkipVerify(), target.wire()));
                        }
                        if (target.wire() == Wire.HTTP1) {
                            addHttp1Handlers(ch);
                        }
                    }
                })
                .connect(remote);
        // An HTTP/2 connection takes the streams of exchanges that come while it connects.
        Http2Upstream pendingHttp2 = null;
        if (target.wire() == Wire.HTTP2) {
            pendingHttp2 = register(new Http2Upstream(connect.channel(), target, stats, this));
            pendingHttp2.openStream(listener, promise);
        }
        Http2Upstream connecting = pendingHttp2;
        // The slot goes back exactly once: when the channel closes, however it ends, or when the
        // connect fails (a channel that could not even be created or registered never "closes").
        AtomicBoolean released = new AtomicBoolean();
        Runnable release = () -> {
            if (released.compareAndSet(false, true)) {
                budget.release(backend);
            }
        };
        connect.channel().closeFuture().addListener(c -> release.run());
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                release.run();
                stats.connectFailed();
                fail(connecting, promise, f.cause());
                return;
            }
            stats.opened();
            Channel channel = connect.channel();
            channel.closeFuture().addListener(c -> stats.closed());
            SslHandler ssl = channel.pipeline().get(SslHandler.class);
            if (ssl == null) {
                established(channel, target, null, connecting, listener, promise);
                return;
            }
            // A TLS backend is usable once its handshake (and certificate check) succeeded.
            ssl.handshakeFuture().addListener(h -> {
                if (h.isSuccess()) {
                    established(channel, target, ssl.applicationProtocol(), connecting, listener, promise);
                } else {
                    stats.connectFailed();
                    channel.close();
                    fail(connecting, promise, new UpstreamTlsException(target, h.cause()));
                }
            });
        });
        return promise;
    }

    private void addHttp1Handlers(Channel channel) {
        channel.pipeline().addLast("codec", new UpstreamHttpCodec(stats));
        channel.pipeline().addLast("upstream", new UpstreamHandler());
    }

    /**
     * The connection is up: an HTTP/1.1 one is handed to the exchange; an HTTP/2 one (by prior knowledge, or
     * because ALPN picked h2) starts its codec and opens the exchange's stream. A backend that was asked for h2
     * alone and did not take it is an error: speaking HTTP/1.1 to a gRPC server would fail obscurely later.
     */
    private void established(Channel channel, UpstreamTarget target, String alpn, Http2Upstream connecting,
                             UpstreamListener listener, Promise<UpstreamConnection> promise) {
        boolean h2 = target.tls() ? ApplicationProtocolNames.HTTP_2.equals(alpn) : target.wire() == Wire.HTTP2;
        if (target.wire() == Wire.HTTP1) {
            ready(channel, target, listener, promise);
        } else if (h2) {
            Http2Upstream connection = connecting != null ? connecting
                    : register(new Http2Upstream(channel, target, stats, this));
            if (connecting == null) {
                connection.openStream(listener, promise);
            }
            stats.http2ConnectionOpened();
            connection.start();
        } else if (target.wire() == Wire.NEGOTIATED) {
            addHttp1Handlers(channel);
            ready(channel, target, listener, promise);
        } else {
            stats.connectFailed();
            channel.close();
            fail(connecting, promise, new UpstreamTlsException(target,
                    new SSLHandshakeException("the backend did not agree to HTTP/2 (ALPN h2), got " + alpn)));
        }
    }

    private static void fail(Http2Upstream connecting, Promise<UpstreamConnection> promise, Throwable cause) {
        if (connecting != null) {
            connecting.failed(cause); // the first exchange waits among the others
        } else {
            promise.setFailure(cause);
        }
    }

    private Http2Upstream register(Http2Upstream connection) {
        http2.computeIfAbsent(connection.target(), t -> new ArrayList<>(1)).add(connection);
        connection.channel().closeFuture().addListener(c -> {
            List<Http2Upstream> connections = http2.get(connection.target());
            if (connections != null && connections.remove(connection) && connections.isEmpty()) {
                http2.remove(connection.target());
            }
        });
        return connection;
    }

    /** The first connection to {@code target} with room for another stream: streams gather on few connections. */
    private Http2Upstream http2WithRoom(UpstreamTarget target) {
        List<Http2Upstream> connections = http2.get(target);
        if (connections != null) {
            for (Http2Upstream connection : connections) {
                if (connection.hasRoom()) {
                    return connection;
                }
            }
        }
        return null;
    }

    private void ready(Channel channel, UpstreamTarget target, UpstreamListener listener,
                       Promise<UpstreamConnection> promise) {
        UpstreamHandler handler = channel.pipeline().get(UpstreamHandler.class);
        handler.attach(listener);
        promise.setSuccess(new UpstreamConnection(this, target, channel, handler,
                channel.pipeline().get(UpstreamHttpCodec.class), false));
    }

    /**
     * Pools a connection whose exchange ended with a complete keep-alive response; an HTTP/2 stream
     * just closes (it already ended both ways, so no RST_STREAM goes out), its connection stays. Only a
     * connection whose decoder is idle (every response ended, nothing buffered, no byte after)
     * may carry another client's request; any other is closed.
     */
    void release(UpstreamConnection connection) {
        Channel channel = connection.channel();
        UpstreamHttpCodec codec = connection.codec();
        connection.handler().detach();
        if (codec == null) {
            channel.close();
            return;
        }
        if (!channel.isActive() || !codec.idle()) {
            if (channel.isActive() && !codec.dirty()) {
                stats.discarded(UpstreamStats.Discard.NOT_IDLE); // a dirty one was counted when its bytes came
            }
            channel.close();
            return;
        }
        // A connection handed back while it was paused by backpressure must read again,
        // or the pool would never notice the backend closing it.
        channel.config().setAutoRead(true);
        ArrayDeque<Idle> queue = idle.computeIfAbsent(connection.target(), t -> new ArrayDeque<>());
        queue.addLast(new Idle(channel, connection.handler(), codec, System.nanoTime()));
        idleCount++;
    }

    /** Closes the connection; an HTTP/2 stream still open is reset (CANCEL), its connection stays. */
    void discard(UpstreamConnection connection) {
        connection.handler().detach();
        connection.channel().close();
    }

    /**
     * Closes the idle connections to endpoints that left their backend (a scaled-down or replaced pod):
     * they would never be taken again. Connections in use finish their exchanges; an HTTP/2 connection
     * takes no new stream and closes when its last one ends.
     */
    public void closeIdle(java.util.Set<UpstreamTarget> departed) {
        assert loop.inEventLoop();
        for (UpstreamTarget target : departed) {
            ArrayDeque<Idle> queue = idle.remove(target);
            if (queue != null) {
                idleCount -= queue.size();
                queue.forEach(entry -> entry.channel().close());
            }
            List<Http2Upstream> shared = http2.get(target);
            if (shared != null) {
                List.copyOf(shared).forEach(Http2Upstream::retire);
            }
        }
    }

    /** Resolves backends' names for this loop's connections (and a DNS backend's endpoints). */
    public AddressResolverGroup<? extends SocketAddress> resolver() {
        return resolver;
    }

    public int idleConnections() {
        return idleCount;
    }

    private void closeExpired() {
        sweep(System.nanoTime());
    }

    /**
     * Closes, per target, every idle connection older than {@link #IDLE_TIMEOUT}, dead or dirty,
     * and those older than {@link #SURPLUS_IDLE} beyond {@link #IDLE_FLOOR_PER_TARGET}. A queue
     * holds its connections oldest first (released at its end, taken from its end).
     */
    void sweep(long now) {
        long timeout = IDLE_TIMEOUT.toNanos();
        long surplus = SURPLUS_IDLE.toNanos();
        for (Iterator<ArrayDeque<Idle>> queues = idle.values().iterator(); queues.hasNext(); ) {
            ArrayDeque<Idle> queue = queues.next();
            for (Iterator<Idle> it = queue.iterator(); it.hasNext(); ) {
                Idle entry = it.next();
                long age = now - entry.since();
                if (!entry.channel().isActive() || !entry.codec().idle() || age > timeout
                        || (age > surplus && queue.size() > IDLE_FLOOR_PER_TARGET)) {
                    it.remove();
                    idleCount--;
                    entry.channel().close();
                }
            }
            if (queue.isEmpty()) {
                queues.remove();
            }
        }
        List<Http2Upstream> unused = new ArrayList<>(0);
        for (List<Http2Upstream> connections : http2.values()) {
            for (Http2Upstream connection : connections) {
                if (connection.idleLongerThan(now, timeout)) {
                    unused.add(connection);
                }
            }
        }
        unused.forEach(connection -> connection.channel().close()); // each leaves the map as it closes
    }

    /** HTTP/2 connections of this loop, connecting or up. */
    public int http2Connections() {
        return http2.values().stream().mapToInt(List::size).sum();
    }
}
