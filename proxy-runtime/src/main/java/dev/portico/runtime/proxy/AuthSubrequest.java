package dev.portico.runtime.proxy;

import dev.portico.runtime.auth.ForwardAuthPolicy;
import dev.portico.runtime.auth.ForwardAuthVerdict;
import dev.portico.runtime.config.SiteConfig;
import dev.portico.runtime.headers.HopByHopHeaders;
import dev.portico.runtime.upstream.UpstreamConnection;
import dev.portico.runtime.upstream.UpstreamListener;
import dev.portico.runtime.upstream.UpstreamPool;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;

/**
 * One forward-auth subrequest: the request's head (never its body) to the auth service on a pooled connection of
 * the exchange's event loop, and what its answer means ({@link ForwardAuthVerdict}), reported once to the exchange.
 *
 * <p>Bounded: {@code timeout} covers the connect and the answer's head; an answer passed to the client is held up to
 * {@link #MAX_ANSWER_BODY} (a login redirect or a 401 page), a longer one is refused with 503 rather than buffered;
 * a 2xx answer's body is read and dropped so its connection can go back to the pool.
 */
final class AuthSubrequest implements UpstreamListener {

    /** The largest body of an auth answer passed to the client. */
    static final int MAX_ANSWER_BODY = 64 * 1024;

    /** What the exchange hears, once, on its event loop. */
    interface Outcome {
        /** 2xx: the configured headers of the answer (null when none), to add upstream. */
        void authorized(HttpHeaders granted);

        /** The auth service's answer for the client (a redirect to log in, 401, 403). */
        void answered(FullHttpResponse answer);

        /** The service could not decide: unreachable, timed out, failed, or an answer too large. */
        void unavailable();
    }

    private final ForwardAuthPolicy policy;
    private final FullHttpRequest head;
    private final ChannelHandlerContext down;
    private final UpstreamPool pool;
    private final SiteConfig.Limits limits;
    private final Outcome outcome;
    private UpstreamConnection connection;
    /** The request path's one timer mechanism, like the exchange's own timeouts. */
    private Deadline timeout;
    private int attempts;
    private boolean responded;
    private boolean reported;
    private boolean draining;
    private FullHttpResponse answer;
    private CompositeByteBuf answerBody;
    /** The answer passed to the client leaves its connection reusable (keep-alive) once it ended. */
    private boolean answerKeepAlive;
    private boolean interim;

    AuthSubrequest(ForwardAuthPolicy policy, FullHttpRequest head, ChannelHandlerContext down, UpstreamPool pool,
                   SiteConfig.Limits limits, Outcome outcome) {
        this.policy = policy;
        this.head = head;
        this.down = down;
        this.pool = pool;
        this.limits = limits;
        this.outcome = outcome;
    }

    void start() {
        timeout = new Deadline(down.executor(), this::timedOut);
        timeout.arm(policy.timeout().toNanos());
        acquire();
    }

    private void acquire() {
        attempts++;
        Future<UpstreamConnection> acquired = pool.acquire(policy.target(), policy.timeout(), this,
                limits.maxUpstreamConnectionsPerBackend(), limits.maxUpstreamConnections());
        if (acquired.isDone()) {
            acquired(acquired);
        } else {
            acquired.addListener(f -> acquired(acquired));
        }
    }

    private void acquired(Future<UpstreamConnection> acquired) {
        if (!acquired.isSuccess()) {
            if (!reported) {
                fail();
            }
            return;
        }
        if (reported) {
            acquired.getNow().discard(); // timed out or cancelled meanwhile
            return;
        }
        connection = acquired.getNow();
        Channel channel = connection.channel();
        // A full request with an empty body: written again as it is on a retry.
        channel.writeAndFlush(head, channel.voidPromise());
    }

    /** The exchange ended first (the client left): the connection cannot be reused mid-answer. */
    void cancel() {
        reported = true;
        end(false);
    }

    private void timedOut() {
        if (!reported) {
            fail();
        } else if (draining) {
            end(false);
        }
    }

    private void fail() {
        boolean first = !reported;
        reported = true;
        end(false);
        if (first) {
            outcome.unavailable();
        }
    }

    /** Gives the connection back (reusable) or closes it, and stops the timer. */
    private void end(boolean reusable) {
        draining = false;
        if (timeout != null) {
            timeout.cancel();
        }
        releaseAnswer();
        if (connection != null) {
            if (reusable) {
                connection.release();
            } else {
                connection.discard();
            }
            connection = null;
        }
    }

    private void releaseAnswer() {
        if (answer != null) {
            answer.release();
            answer = null;
        }
        if (answerBody != null) {
            answerBody.release();
            answerBody = null;
        }
    }

    @Override
    public void onUpstreamMessage(Object message) {
        try {
            if (reported && !draining) {
                return;
            }
            if (message instanceof HttpResponse response) {
                onHead(response);
            }
            if (message instanceof HttpContent content && connection != null) {
                onContent(content);
            }
        } finally {
            ReferenceCountUtil.release(message);
        }
    }

    private void onHead(HttpResponse response) {
        if (response.decoderResult().isFailure()) {
            fail();
            return;
        }
        int status = response.status().code();
        if (status < 200) {
            interim = true; // a 100 or 103 before the answer
            return;
        }
        responded = true;
        boolean keepAlive = HttpUtil.isKeepAlive(response);
        switch (ForwardAuthVerdict.of(status)) {
            case ALLOW -> {
                reported = true;
                draining = true; // the body, if any, is read to its end so the connection can be pooled
                if (!keepAlive) {
                    end(false);
                }
                outcome.authorized(policy.granted(response.headers()));
            }
            case PASS_TO_CLIENT -> {
                HttpHeaders headers = response.headers().copy();
                HopByHopHeaders.strip(headers);
                answer = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, response.status(),
                        down.alloc().buffer(0), headers, EmptyHttpHeaders.INSTANCE);
                answerBody = down.alloc().compositeBuffer();
                answerKeepAlive = keepAlive;
            }
            case UNAVAILABLE -> fail();
        }
    }

    private void onContent(HttpContent content) {
        if (interim) {
            interim = !(content instanceof LastHttpContent);
            return;
        }
        boolean last = content instanceof LastHttpContent;
        if (draining) {
            if (last) {
                end(true);
            }
            return;
        }
        if (answer == null) {
            return;
        }
        if (answerBody.readableBytes() + content.content().readableBytes() > MAX_ANSWER_BODY) {
            fail();
            return;
        }
        answerBody.addComponent(true, content.content().retain());
        if (last) {
            reported = true;
            FullHttpResponse full = answer.replace(answerBody.retain());
            full.headers().set(HttpHeaderNames.CONTENT_LENGTH, full.content().readableBytes());
            end(answerKeepAlive);
            outcome.answered(full);
        }
    }

    @Override
    public void onUpstreamReadComplete() {
    }

    @Override
    public void onUpstreamWritabilityChanged(boolean writable) {
    }

    @Override
    public void onUpstreamClosed(Throwable cause) {
        if (reported && !draining) {
            return;
        }
        if (draining) {
            connection = null; // closed under us; nothing to give back
            end(false);
            return;
        }
        // A pooled connection the service closed meanwhile fails before any answer: once more on a new one.
        if (!responded && connection != null && connection.reused() && attempts == 1) {
            connection = null;
            acquire();
            return;
        }
        connection = null;
        fail();
    }
}
