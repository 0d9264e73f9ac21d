package dev.portico.runtime.upstream;

import dev.portico.runtime.routing.RouteAction.UpstreamTarget;
import dev.portico.runtime.tls.UpstreamTlsContexts;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.ssl.SslHandler;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

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
                                    target.serverName(), target.insecureSkipVerify()));
                        }
                        ch.pipeline().addLast("codec", new UpstreamHttpCodec(stats));
                        ch.pipeline().addLast("upstream", new UpstreamHandler());
                    }
                })
                .connect(remote);
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
                promise.setFailure(f.cause());
                return;
            }
            stats.opened();
            Channel channel = connect.channel();
            channel.closeFuture().addListener(c -> stats.closed());
            SslHandler ssl = channel.pipeline().get(SslHandler.class);
            if (ssl == null) {
                ready(channel, target, listener, promise);
                return;
            }
            // A TLS backend is usable once its handshake (and certificate check) succeeded.
            ssl.handshakeFuture().addListener(h -> {
                if (h.isSuccess()) {
                    ready(channel, target, listener, promise);
                } else {
                    stats.connectFailed();
                    channel.close();
                    promise.setFailure(new UpstreamTlsException(target, h.cause()));
                }
            });
        });
        return promise;
    }

    private void ready(Channel channel, UpstreamTarget target, UpstreamListener listener,
                       Promise<UpstreamConnection> promise) {
        UpstreamHandler handler = channel.pipeline().get(UpstreamHandler.class);
        handler.attach(listener);
        promise.setSuccess(new UpstreamConnection(this, target, channel, handler,
                channel.pipeline().get(UpstreamHttpCodec.class), false));
    }

    /**
     * Pools a connection whose exchange ended with a complete keep-alive response. Only a
     * connection whose decoder is idle (every response ended, nothing buffered, no byte after)
     * may carry another client's request; any other is closed.
     */
    void release(UpstreamConnection connection) {
        Channel channel = connection.channel();
        UpstreamHttpCodec codec = connection.codec();
        connection.handler().detach();
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

    void discard(UpstreamConnection connection) {
        connection.handler().detach();
        connection.channel().close();
    }

    /**
     * Closes the idle connections to endpoints that left their backend (a scaled-down or replaced pod):
     * they would never be taken again. Connections in use finish their exchanges.
     */
    public void closeIdle(java.util.Set<UpstreamTarget> departed) {
        assert loop.inEventLoop();
        for (UpstreamTarget target : departed) {
            ArrayDeque<Idle> queue = idle.remove(target);
            if (queue != null) {
                idleCount -= queue.size();
                queue.forEach(entry -> entry.channel().close());
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
    }
}
