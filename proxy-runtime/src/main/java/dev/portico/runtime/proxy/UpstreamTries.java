package dev.portico.runtime.proxy;

import dev.portico.runtime.balancing.Cluster;
import dev.portico.runtime.balancing.Endpoint;
import dev.portico.runtime.balancing.NoEndpointException;
import dev.portico.runtime.balancing.PickRequest;
import dev.portico.runtime.metrics.ProxyMetrics;
import dev.portico.runtime.retry.RetryOn;
import dev.portico.runtime.retry.RetryPolicy;
import dev.portico.runtime.routing.RouteAction;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetAddress;
import java.net.SocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The tries of one exchange at its backend: which endpoint each goes to (never one tried
 * before while another is left), what the outlier detector hears of each, whether a failed one
 * goes again (connect failures always, within {@link RetryPolicy#MAX_CONNECT_TRIES}; the rest
 * as the route's {@link RetryPolicy} and the backend's retry budget allow), and the request
 * body held for a replay. The {@link Exchange} owns it and asks; everything runs on its loop.
 */
final class UpstreamTries {

    private final Cluster cluster;
    private final RetryPolicy policy;
    private final boolean idempotent;
    private final PickRequest pickRequest;
    private final List<Endpoint> tried = new ArrayList<>(2);
    private List<Endpoint> candidates = List.of();
    private Endpoint current;
    /** The endpoint of the latest try, kept after the exchange ends for its log line. */
    private Endpoint last;
    private int tries;
    private int connectFailures;
    private boolean retrySlot;
    private boolean ended;
    /** Request body pieces (retained duplicates) for a replay; null when the body is too large to hold. */
    private ArrayDeque<HttpContent> held;
    private long heldBytes;
    /** Some try was connected, so the body went out at least once: a later try replays {@link #held}. */
    private boolean bodySent;

    private final ProxyMetrics metrics;

    UpstreamTries(RouteAction.Forward forward, HttpRequest request, InetAddress client, ProxyMetrics metrics) {
        this.metrics = metrics;
        this.cluster = forward.cluster();
        this.policy = forward.retries();
        this.idempotent = RetryPolicy.idempotent(request.method());
        this.pickRequest = new PickRequest(request.headers(), client);
        this.held = policy.attempts() > 1 && idempotent ? new ArrayDeque<>(2) : null;
        cluster.retryBudget().requestStarted();
    }

    /** Tries made so far, the one in progress included: the access log's attempt. */
    int tries() {
        return tries;
    }

    /** The endpoint of the latest try, or null when none was picked. */
    Endpoint last() {
        return last;
    }

    Cluster cluster() {
        return cluster;
    }

    /** The endpoint of the next try; fails with {@link NoEndpointException} or the resolver's error. */
    Future<Endpoint> next(EventExecutor loop, AddressResolverGroup<? extends SocketAddress> resolver) {
        endTry();
        Promise<Endpoint> promise = loop.newPromise();
        Future<List<Endpoint>> resolved = cluster.candidates(loop, resolver);
        if (resolved.isDone()) {
            pick(resolved, promise);
        } else {
            resolved.addListener(f -> pick(resolved, promise));
        }
        return promise;
    }

    private void pick(Future<List<Endpoint>> resolved, Promise<Endpoint> promise) {
        if (!resolved.isSuccess()) {
            promise.setFailure(resolved.cause());
            return;
        }
        candidates = resolved.getNow();
        try {
            Endpoint endpoint = cluster.pick(candidates, tried, pickRequest);
            if (ended) {
                promise.setFailure(new IllegalStateException("exchange ended"));
                return;
            }
            current = endpoint;
            last = endpoint;
            tried.add(endpoint);
            endpoint.started();
            tries++;
            promise.setSuccess(endpoint);
        } catch (NoEndpointException e) {
            promise.setFailure(e);
        }
    }

    /** The try's connection could not be made: the endpoint counts a failure; whether another endpoint is tried. */
    boolean connectFailed() {
        if (current != null) {
            cluster.failed(current);
        }
        connectFailures++;
        if (connectFailures < Math.min(candidates.size(), RetryPolicy.MAX_CONNECT_TRIES)) {
            metrics.upstreamRetried(RetryOn.CONNECT_FAILURE);
            return true; // nothing was sent: any method may go elsewhere, outside the route's attempts and budget
        }
        return retry(RetryOn.CONNECT_FAILURE, true);
    }

    /** The try failed after it was sent (reset before a response head, or no head in time). */
    void failed() {
        if (current != null) {
            cluster.failed(current);
        }
    }

    /** The try got a response head. */
    void responded(int status) {
        if (current != null) {
            cluster.responded(current, status);
        }
    }

    /**
     * Whether the failed try goes again: the route allows it for this cause and request, the request is
     * complete and held (or was never sent), and the backend's budget has room. A retry holds a budget slot
     * until the exchange ends.
     */
    boolean retry(RetryOn cause, boolean requestComplete) {
        boolean replayable = requestComplete && (!bodySent || held != null);
        if (!policy.retries(cause, tries, idempotent, replayable)) {
            return false;
        }
        if (!retrySlot) {
            retrySlot = cluster.retryBudget().tryStartRetry(policy.budgetPercent(), policy.budgetMinConcurrent());
            if (!retrySlot) {
                metrics.retryOverBudget();
                return false;
            }
        }
        metrics.upstreamRetried(cause);
        return true;
    }

    /** Keeps a piece of the request body for a replay, while the body fits in maxBufferedBody. */
    void hold(HttpContent content) {
        if (held == null) {
            return;
        }
        heldBytes += content.content().readableBytes();
        if (heldBytes > policy.maxBufferedBody()) {
            releaseHeld();
            held = null; // streams on as usual, and is not tried again but on connect failure
            return;
        }
        held.add(content.retainedDuplicate());
    }

    /** Before a try's head goes out: replays the body of an earlier try that was sent (its pieces follow the head). */
    void replay(Channel channel) {
        if (bodySent && held != null) {
            for (HttpContent piece : held) {
                channel.write(piece.retainedDuplicate(), channel.voidPromise());
            }
        }
        bodySent = true;
    }

    /** Whether the next try gets the request body (its end included) from {@link #replay}. */
    boolean replaysBody() {
        return bodySent && held != null;
    }

    /** The sticky cookie to set on the response, or null. */
    String setCookie(boolean tls) {
        return cluster.sticky() == null || last == null ? null : cluster.sticky().setCookie(pickRequest, last, tls);
    }

    /** The exchange ended: every count and held piece goes back. */
    void end() {
        if (ended) {
            return;
        }
        ended = true;
        endTry();
        releaseHeld();
        if (retrySlot) {
            cluster.retryBudget().retryEnded();
        }
        cluster.retryBudget().requestEnded();
    }

    private void endTry() {
        if (current != null) {
            current.ended();
            current = null;
        }
    }

    private void releaseHeld() {
        if (held != null) {
            for (HttpContent piece; (piece = held.poll()) != null; ) {
                piece.release();
            }
        }
    }
}
