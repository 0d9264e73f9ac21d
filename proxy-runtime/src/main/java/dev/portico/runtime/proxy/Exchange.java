package dev.portico.runtime.proxy;

import dev.portico.runtime.admission.AdmissionRequest;
import dev.portico.runtime.admission.Decision;
import dev.portico.runtime.admission.MalformedHeadStage;
import dev.portico.runtime.admission.RequestTarget;
import dev.portico.runtime.auth.ForwardAuthPolicy;
import dev.portico.runtime.auth.PasswordVerifier;
import dev.portico.runtime.balancing.Endpoint;
import dev.portico.runtime.balancing.NoEndpointException;
import dev.portico.runtime.config.SiteConfig;
import dev.portico.runtime.forwarding.IpAddresses;
import dev.portico.runtime.log.AccessLogEntry;
import dev.portico.runtime.policy.ResponsePolicy;
import dev.portico.runtime.retry.RetryOn;
import dev.portico.runtime.routing.RouteAction;
import dev.portico.runtime.upstream.UpstreamConnection;
import dev.portico.runtime.upstream.UpstreamLimitException;
import dev.portico.runtime.upstream.UpstreamListener;
import dev.portico.runtime.upstream.UpstreamPool;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayDeque;

/**
 * One request and its response, on an HTTP/1.x connection or an HTTP/2 stream alike (the
 * {@link ExchangeHandler} carrying it): admission ({@link dev.portico.runtime.admission.AdmissionPipeline}
 * decides, this acts), the upstream connection, and the streaming of both bodies with
 * backpressure. Everything runs on the connection's event loop, the upstream connection's too,
 * so nothing here is locked.
 *
 * <p>The response side is a state machine ({@link State}); the request side ends once
 * ({@link #requestComplete}), before or after the response. The exchange finishes when both
 * have, or at the first failure, and then tells its connection whether the connection may
 * carry another request.
 */
final class Exchange extends AdmissionRequest implements UpstreamListener, AuthSubrequest.Outcome {

    /** Sent upstream on a retry with its number (2 for the first retry), and logged as {@code attempt}. */
    static final String ATTEMPT_HEADER = "x-portico-attempt";

    private final ExchangeHandler connection;
    private final ChannelHandlerContext down;
    private final ProxyServices services;
    private final SiteConfig config;
    private final HttpRequest request;
    private final boolean tls;
    private final long startNanos = System.nanoTime();
    private final long startMillis = System.currentTimeMillis();

    private RouteAction.Forward forward;
    /** The route's response-side policy (CORS), or null: then the response path does nothing more. */
    private ResponsePolicy responsePolicy;
    private HttpRequest upstreamRequest;
    private UpstreamConnection upstream;
    private Channel upstreamChannel;
    private final ArrayDeque<HttpContent> pendingBody = new ArrayDeque<>(2);
    private long maxRequestBody;
    private long bytesIn;
    private long bytesOut;
    private int status;
    private int attempts;
    /** The client's gRPC deadline ({@code grpc-timeout}) when it sent one to an HTTP/2 backend; else 0. */
    private long grpcTimeoutNanos;
    /** The tries at the backend: endpoints, outlier reports, retries; null until forwarding starts. */
    private UpstreamTries tries;

    /** Where the response side is; the exchange ends in {@link State#FINISHED}. */
    private State state = State.AWAITING_HEAD;
    /** The request side's end: independent of the response's, which may come first. */
    private boolean requestComplete;
    /** The connection cannot carry another request after this one (unread body, error, client asked). */
    private boolean closeAfter;
    private boolean upstreamReusable;
    /** The client asked for a WebSocket upgrade on a route that allows it. */
    private boolean websocket;
    private TunnelHandler tunnelIn;
    private TunnelHandler tunnelOut;
    /** The forward-auth subrequest while admission waits for it. */
    private AuthSubrequest authSubrequest;
    /** Headers of the auth service's approval, for the upstream request; null without. */
    private HttpHeaders authGranted;

    /** The write that ends the response; an HTTP/2 stream may only be reset after it. */
    private ChannelFuture lastWrite;

    /**
     * The response side. {@code AWAITING_HEAD -> [INTERIM -> AWAITING_HEAD]* -> STREAMING -> RESPONDED},
     * or {@code AWAITING_HEAD -> RESPONDED} for an answer made here, or {@code AWAITING_HEAD -> TUNNEL} on a
     * WebSocket's 101; any state {@code -> FINISHED}, once.
     */
    enum State {
        /** No response head yet: admission, the upstream connection, or the backend is still working. */
        AWAITING_HEAD,
        /** An interim (1xx) response from the backend is being dropped: the client got our 100 already. */
        INTERIM,
        /** The head went to the client; the body streams. */
        STREAMING,
        /** The whole response went to the client; the request may still be ending. */
        RESPONDED,
        /** After a 101: the connection is a byte relay, no longer ours. */
        TUNNEL,
        /** Counted, logged, and the connection told. */
        FINISHED;

        boolean awaitingResponse() {
            return this == AWAITING_HEAD || this == INTERIM;
        }

        /** Whether nothing more of the response comes from the backend. */
        boolean responseOver() {
            return this == RESPONDED || this == TUNNEL || this == FINISHED;
        }
    }

    Exchange(ExchangeHandler connection, ChannelHandlerContext down, ProxyServices services, HttpRequest request,
             boolean tls) {
        super(request, connection.peer(), tls, connection.multiplexed(), services.requestsPerClient());
        this.connection = connection;
        this.down = down;
        this.services = services;
        this.config = services.config().current();
        this.request = request;
        this.tls = tls;
    }

    // ---- request side ------------------------------------------------------------------

    /** Admission decides (in-flight, framing, target, client, policies, route); this acts on the outcome. */
    void start() {
        services.exchangeStarted();
        closeAfter = !HttpUtil.isKeepAlive(request) || services.draining();
        Decision decision = config.admission().decide(this);
        responsePolicy = config.admission().responsePolicy(this);
        act(decision);
    }

    private void act(Decision decision) {
        if (route() != null) {
            maxRequestBody = route().maxRequestBodySize();
        }
        if (decision instanceof Decision.Forward forwarded) {
            forward = forwarded.action();
            startForwarding();
        } else if (decision instanceof Decision.Reject reject) {
            respondError(reject.status());
        } else if (decision instanceof Decision.Respond respond) {
            respondLocally(respond);
        } else if (decision instanceof Decision.Redirect redirect) {
            respondLocally(LocalResponses.redirect(down.alloc(), redirect.status(),
                    redirect.location().of(target(), tls), redirect.headers(), tls, closeIfBody()));
        } else if (decision instanceof Decision.Refuse refusal) {
            refuse(refusal.reason());
        } else if (decision instanceof Decision.Preflight preflight) {
            FullHttpResponse response = LocalResponses.noContent(down.alloc(), preflight.headers(), tls, closeIfBody());
            preflight.cors().answerPreflight(request, response.headers());
            send(response);
        } else if (decision instanceof Decision.Authorize authorize) {
            askAuthService(authorize.policy());
        } else if (decision instanceof Decision.VerifyPassword verify) {
            verifyPassword(verify);
        } else if (decision instanceof Decision.Unauthorized unauthorized) {
            unauthorized(unauthorized);
        }
    }

    // ---- auth: admission suspended, resumed once the request is let through -----------

    /**
     * Forward auth: the request's head goes to the auth service; its body waits with the client (reading pauses
     * once a piece of it is held, as while an upstream connection opens).
     */
    private void askAuthService(ForwardAuthPolicy policy) {
        policy.stripOutputs(request.headers());
        authSubrequest = new AuthSubrequest(policy,
                ForwardAuthRequests.build(policy, request, target(), route(), resolution(), connection.peerText(), tls),
                down, services.pool(down.channel().eventLoop()), config.limits(), this);
        authSubrequest.start();
    }

    @Override
    public void authorized(HttpHeaders granted) {
        authSubrequest = null;
        if (state == State.AWAITING_HEAD) {
            authGranted = granted;
            act(config.admission().resume(this));
        }
    }

    @Override
    public void answered(FullHttpResponse answer) {
        authSubrequest = null;
        if (state != State.AWAITING_HEAD) {
            answer.release();
            return;
        }
        services.metrics().authFailed("forward/denied");
        route().responseHeaders().apply(answer.headers(), tls);
        if (closeIfBody()) {
            answer.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        respondLocally(answer);
    }

    @Override
    public void unavailable() {
        authSubrequest = null;
        if (state == State.AWAITING_HEAD) {
            services.metrics().authFailed("forward/unavailable");
            respondError(HttpResponseStatus.SERVICE_UNAVAILABLE); // never let through unchecked
        }
    }

    /** Basic auth with credentials not verified lately: bcrypt on the verifier's threads, the answer back here. */
    private void verifyPassword(Decision.VerifyPassword verify) {
        boolean started = PasswordVerifier.shared().submit(verify.policy(), verify.credentials(),
                granted -> down.executor().execute(() -> passwordChecked(granted, verify.refusal())));
        if (!started) {
            services.metrics().authFailed("basic/unavailable");
            respondError(HttpResponseStatus.SERVICE_UNAVAILABLE);
        }
    }

    private void passwordChecked(boolean granted, Decision.Unauthorized refusal) {
        if (state != State.AWAITING_HEAD) {
            return; // the client left meanwhile
        }
        if (granted) {
            act(config.admission().resume(this));
        } else {
            unauthorized(refusal.asFailure());
        }
    }

    private void unauthorized(Decision.Unauthorized unauthorized) {
        if (unauthorized.failedAttempt()) {
            services.metrics().authFailed("basic/invalid_credentials");
        }
        FullHttpResponse response = LocalResponses.error(down.alloc(), HttpResponseStatus.UNAUTHORIZED,
                unauthorized.headers(), tls, closeIfBody());
        response.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, unauthorized.challenge());
        respondLocally(response);
    }

    private void startForwarding() {
        HttpHeaders headers = request.headers();
        boolean http2 = forward.target().wire().mayBeHttp2();
        // An HTTP/2 stream cannot be upgraded: a WebSocket request goes as a plain GET (and fails there).
        websocket = !http2 && forward.websocket() && UpstreamRequests.isWebSocketUpgrade(headers);
        if (http2) {
            String grpcTimeout = headers.get(GrpcReplies.GRPC_TIMEOUT);
            grpcTimeoutNanos = grpcTimeout == null ? 0 : Math.max(0, GrpcReplies.timeoutNanos(grpcTimeout));
        }
        if (websocket && !request.protocolVersion().equals(HttpVersion.HTTP_1_1)) {
            // RFC 6455 needs HTTP/1.1; an HTTP/1.0 proxy chain would break the upgrade silently.
            respondError(HttpResponseStatus.BAD_REQUEST);
            return;
        }
        long contentLength = HttpUtil.getContentLength(request, -1L);
        if (contentLength > maxRequestBody) {
            respondError(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE);
            return;
        }
        String expect = headers.get(HttpHeaderNames.EXPECT);
        if (expect != null) {
            if (!HttpHeaderValues.CONTINUE.contentEqualsIgnoreCase(expect)) {
                respondError(HttpResponseStatus.EXPECTATION_FAILED);
                return;
            }
            // We answer 100 ourselves, as nginx does: the client's body then streams straight
            // through while the upstream connection opens.
            if (request.protocolVersion().equals(HttpVersion.HTTP_1_1) && hasBody()) {
                down.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE,
                        Unpooled.EMPTY_BUFFER));
            }
        }
        upstreamRequest = UpstreamRequests.build(request, target(), route(), forward.target(), resolution(),
                connection.peerText(), tls, websocket, http2);
        upstreamRequest.headers().remove(ATTEMPT_HEADER); // ours to set: a backend must be able to trust it
        if (authGranted != null) {
            for (String name : authGranted.names()) {
                upstreamRequest.headers().set(name, authGranted.getAll(name));
            }
        }
        tries = new UpstreamTries(forward, request, client(), services.metrics());
        acquireUpstream();
    }

    private boolean hasBody() {
        return HttpUtil.isTransferEncodingChunked(request) || HttpUtil.getContentLength(request, 0L) > 0;
    }

    private boolean closeIfBody() {
        // A request answered before its body was read leaves that body on the wire: the
        // connection cannot be reused safely.
        if (hasBody()) {
            closeAfter = true;
        }
        return closeAfter;
    }

    private void acquireUpstream() {
        attempts++;
        UpstreamPool pool = services.pool(down.channel().eventLoop());
        Future<Endpoint> picked = tries.next(down.executor(), pool.resolver());
        if (picked.isDone()) {
            endpointPicked(picked, pool);
        } else {
            picked.addListener(f -> endpointPicked(picked, pool));
        }
    }

    private void endpointPicked(Future<Endpoint> picked, UpstreamPool pool) {
        if (state == State.FINISHED) {
            return;
        }
        if (!picked.isSuccess()) {
            respondError(statusForConnectFailure(picked.cause()));
            return;
        }
        Endpoint endpoint = picked.getNow();
        SiteConfig.Limits limits = config.limits();
        Future<UpstreamConnection> acquired = pool.acquire(endpoint.target(), endpoint.remote(), forward.target(),
                forward.connectTimeout(), this, limits.maxUpstreamConnectionsPerBackend(),
                limits.maxUpstreamConnections());
        if (acquired.isDone()) {
            upstreamAcquired(acquired);
        } else {
            acquired.addListener(f -> upstreamAcquired(acquired));
        }
    }

    private void upstreamAcquired(Future<UpstreamConnection> acquired) {
        if (!acquired.isSuccess()) {
            if (state == State.FINISHED) {
                return;
            }
            if (acquired.cause() instanceof UpstreamLimitException over) {
                refuse(over.refusal().label());
            } else if (tries.connectFailed()) {
                acquireUpstream(); // another endpoint: nothing of the request left
            } else {
                respondError(statusForConnectFailure(acquired.cause()));
            }
            return;
        }
        upstream = acquired.getNow();
        if (state == State.FINISHED) {
            upstream.discard();
            return;
        }
        upstreamChannel = upstream.channel();
        if (tries.tries() > 1) {
            upstreamRequest.headers().set(ATTEMPT_HEADER, tries.tries()); // the backend can tell a retry
        }
        upstreamChannel.write(upstreamRequest, upstreamChannel.voidPromise());
        tries.replay(upstreamChannel);
        for (HttpContent piece; (piece = pendingBody.poll()) != null; ) {
            upstreamChannel.write(piece, upstreamChannel.voidPromise());
        }
        upstreamChannel.flush();
        if (requestComplete) {
            startResponseTimer();
        } else {
            connection.updateReading();
        }
    }

    private static HttpResponseStatus statusForConnectFailure(Throwable cause) {
        if (cause instanceof ConnectTimeoutException) {
            return HttpResponseStatus.GATEWAY_TIMEOUT;
        }
        if (cause instanceof UnknownHostException || cause instanceof NoEndpointException) {
            return HttpResponseStatus.SERVICE_UNAVAILABLE;
        }
        return HttpResponseStatus.BAD_GATEWAY;
    }

    /** A piece of the request body (or its end) from the client. */
    void onRequestContent(HttpContent content) {
        if (content.decoderResult().isFailure()) {
            content.release();
            rejectMalformed(content.decoderResult().cause());
            return;
        }
        boolean last = content instanceof LastHttpContent;
        if (state.responseOver()) {
            content.release();
            requestComplete |= last;
            maybeFinish();
            return;
        }
        bytesIn += content.content().readableBytes();
        if (bytesIn > maxRequestBody) {
            content.release();
            // Mid-stream: the backend has part of the body, so its connection goes too.
            respondError(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE);
            return;
        }
        if (last && route() != null) {
            // Trailers: chunked HTTP/1.1, or an HTTP/2 HEADERS frame ending the stream, both
            // turned into these by the codecs. The same names rules as the head, and RFC 9110 6.5.1.
            route().clientFields().filterTrailers(((LastHttpContent) content).trailingHeaders());
        }
        if (tries != null) {
            tries.hold(content);
        }
        if (upstreamChannel != null) {
            upstreamChannel.write(content, upstreamChannel.voidPromise());
        } else {
            pendingBody.add(content);
        }
        if (last) {
            requestComplete = true;
            if (upstreamChannel != null) {
                upstreamChannel.flush();
                startResponseTimer();
            }
        }
    }

    /**
     * Whether the client's connection must stop reading for now: request body that the
     * upstream cannot take yet (still connecting, or its socket buffer full).
     */
    boolean holdsBackRequestBody() {
        if (requestComplete || state == State.FINISHED) {
            return false;
        }
        return upstreamChannel == null ? !pendingBody.isEmpty() : !upstreamChannel.isWritable();
    }

    boolean requestComplete() {
        return requestComplete;
    }

    void flushUpstream() {
        if (upstreamChannel != null && state != State.FINISHED) {
            upstreamChannel.flush();
        }
    }

    private void rejectMalformed(Throwable cause) {
        closeAfter = true;
        respondError(MalformedHeadStage.rejection(cause).status());
    }

    // ---- response side -----------------------------------------------------------------

    @Override
    public void onUpstreamMessage(Object message) {
        if (state == State.FINISHED || state == State.TUNNEL) {
            ReferenceCountUtil.release(message);
            return;
        }
        if (message instanceof HttpResponse response && onResponseHead(response)) {
            return;
        }
        if (message instanceof HttpContent content) {
            onResponseContent(content);
        } else if (!(message instanceof HttpResponse)) {
            ReferenceCountUtil.release(message);
        }
    }

    /** @return whether the message was a whole response, sent on whole (its content must not be passed on) */
    private boolean onResponseHead(HttpResponse response) {
        if (response.decoderResult().isFailure()) {
            tries.failed();
            upstreamFailed();
            return false;
        }
        int code = response.status().code();
        if (code == 101 && websocket) {
            switchToTunnel(response);
            return false;
        }
        if (code >= 100 && code < 200) {
            // Interim responses (a backend's own 100 Continue, 103 Early Hints) stay here:
            // the client got our 100 already.
            state = State.INTERIM;
            return false;
        }
        tries.responded(code);
        RetryOn retryOn = RetryOn.ofStatus(code);
        if (retryOn != null && tries.retry(retryOn, requestComplete)) {
            retryUpstream(); // the response is dropped (its content released as it comes): the client gets the retry's
            return false;
        }
        connection.responseDeadline().disarm();
        status = code;
        state = State.STREAMING;
        var translated = ClientResponseHeads.translate(response, request, route().responseHeaders(), tls, closeAfter);
        upstreamReusable = translated.upstreamReusable();
        closeAfter = translated.closeAfter();
        if (responsePolicy != null) {
            responsePolicy.apply(request, translated.head().headers());
        }
        String stickyCookie = tries.setCookie(tls);
        if (stickyCookie != null) {
            translated.head().headers().add(HttpHeaderNames.SET_COOKIE, stickyCookie);
        }
        if (response instanceof FullHttpResponse whole) {
            sendWhole(translated.head(), whole);
            return true;
        }
        down.write(translated.head(), down.voidPromise());
        return false;
    }

    /**
     * A response that ended with its head: an HTTP/2 backend's HEADERS with END_STREAM, such as a gRPC
     * trailers-only answer (an error status). It goes on as one message, so an HTTP/2 client gets one
     * HEADERS frame ending the stream again: a gRPC client reads grpc-status only from a frame that ends it.
     */
    private void sendWhole(HttpResponse head, FullHttpResponse whole) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, head.status(), whole.content(),
                head.headers(), whole.trailingHeaders());
        bytesOut += response.content().readableBytes();
        state = State.RESPONDED;
        lastWrite = down.writeAndFlush(response);
        maybeFinish();
    }

    private void onResponseContent(HttpContent content) {
        boolean last = content instanceof LastHttpContent;
        if (state == State.INTERIM) {
            content.release();
            if (last) {
                state = State.AWAITING_HEAD;
            }
            return;
        }
        if (state != State.STREAMING) {
            content.release();
            return;
        }
        if (content.decoderResult().isFailure()) {
            content.release();
            abort();
            return;
        }
        bytesOut += content.content().readableBytes();
        if (last) {
            lastWrite = down.write(content);
        } else {
            down.write(content, down.voidPromise());
        }
        if (last) {
            state = State.RESPONDED;
            down.flush();
            maybeFinish();
        } else if (!down.channel().isWritable()) {
            upstreamChannel.config().setAutoRead(false);
        }
    }

    @Override
    public void onUpstreamReadComplete() {
        if (state == State.FINISHED) {
            return;
        }
        down.flush();
        if (state == State.STREAMING) {
            // Streaming responses (SSE, downloads) end when nothing moves for the route's idle time.
            connection.armIdle(forward.idleTimeout().toNanos());
        }
    }

    @Override
    public void onUpstreamWritabilityChanged(boolean writable) {
        connection.updateReading();
    }

    void onDownstreamWritabilityChanged(boolean writable) {
        if (upstreamChannel != null && state == State.STREAMING) {
            upstreamChannel.config().setAutoRead(writable);
        }
    }

    @Override
    public void onUpstreamClosed(Throwable cause) {
        if (state.responseOver()) {
            return;
        }
        if (state.awaitingResponse()) {
            if (retryable()) {
                upstream = null;
                upstreamChannel = null;
                if (!tries.replaysBody()) {
                    // The request's end went out with the first try; without it again the new
                    // connection's encoder stays mid-message and fails the next request pooled on it.
                    pendingBody.add(LastHttpContent.EMPTY_LAST_CONTENT);
                }
                acquireUpstream();
                return;
            }
            tries.failed();
            if (tries.retry(RetryOn.RESET, requestComplete)) {
                retryUpstream();
                return;
            }
            respondError(HttpResponseStatus.BAD_GATEWAY);
        } else {
            abort();
        }
    }

    /**
     * A keep-alive connection the backend closed just as we reused it fails before any
     * response byte; a bodyless safe request is then retried once on a new connection.
     */
    private boolean retryable() {
        HttpMethod method = request.method();
        return upstream != null && upstream.reused() && attempts == 1 && bytesIn == 0 && requestComplete
                && (method.equals(HttpMethod.GET) || method.equals(HttpMethod.HEAD)
                        || method.equals(HttpMethod.OPTIONS));
    }

    /** Drops the try in progress (its connection closes) and starts the next. */
    private void retryUpstream() {
        connection.responseDeadline().disarm();
        if (upstream != null) {
            upstream.discard();
        }
        upstream = null;
        upstreamChannel = null;
        state = State.AWAITING_HEAD;
        acquireUpstream();
    }

    /** The client went away. */
    void onDownstreamClosed() {
        if (state == State.FINISHED) {
            return;
        }
        if (state.awaitingResponse()) {
            status = 499; // nginx's "client closed request", so logs read the same
        }
        closeAfter = true;
        finish();
    }

    // ---- WebSocket ---------------------------------------------------------------------

    private void switchToTunnel(HttpResponse response) {
        connection.responseDeadline().disarm();
        status = 101;
        state = State.TUNNEL;
        HttpHeaders headers = response.headers();
        route().responseHeaders().apply(headers, tls);
        down.writeAndFlush(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SWITCHING_PROTOCOLS,
                headers));
        // The route's idle timeout bounds a silent tunnel: nothing read from either side for that long.
        long idleNanos = forward.idleTimeout().toNanos();
        Channel client = down.channel();
        Channel backend = upstreamChannel;
        Deadline idle = new Deadline(down.executor(), () -> {
            client.close();
            TunnelHandler.closeAfterFlush(backend);
        });
        tunnelIn = new TunnelHandler(upstreamChannel, idle, idleNanos);
        tunnelOut = new TunnelHandler(down.channel(), idle, idleNanos);
        idle.arm(idleNanos);
        upstream.handOver(tunnelOut);
        connection.becomeTunnel(tunnelIn);
        down.channel().closeFuture().addListener(f -> finishTunnel());
    }

    private void finishTunnel() {
        bytesIn += tunnelIn.relayed();
        bytesOut += tunnelOut.relayed();
        TunnelHandler.closeAfterFlush(upstreamChannel);
        requestComplete = true;
        closeAfter = true;
        finish();
    }

    // ---- local responses and endings ---------------------------------------------------

    /** A response made here, with the route's response-side policy: a 429 to a cross-origin fetch carries CORS. */
    private void respondLocally(FullHttpResponse response) {
        if (responsePolicy != null) {
            responsePolicy.apply(request, response.headers());
        }
        send(response);
    }

    private void send(FullHttpResponse response) {
        status = response.status().code();
        if (status >= 300 && GrpcReplies.isGrpc(request.headers())) {
            FullHttpResponse grpc = GrpcReplies.reply(response.status(), response.headers(), config.responseHeaders(),
                    tls);
            response.release();
            response = grpc;
        }
        state = State.RESPONDED;
        bytesOut += response.content().readableBytes();
        lastWrite = down.writeAndFlush(response);
        if (closeAfter && !requestComplete) {
            finish();
        } else {
            maybeFinish();
        }
    }

    /** An error the proxy answers itself, or, once a response has started, a cut connection. */
    private void respondError(HttpResponseStatus error) {
        if (!state.awaitingResponse()) {
            abort();
            return;
        }
        if (!requestComplete) {
            closeAfter = true;
        }
        respondLocally(LocalResponses.error(down.alloc(), error, config.responseHeaders(), tls, closeAfter));
    }

    /** A response admission decided: a {@code respond} route, or a policy's answer (429 with Retry-After). */
    private void respondLocally(Decision.Respond respond) {
        FullHttpResponse response = LocalResponses.text(down.alloc(), respond.status(), respond.body(),
                respond.headers(), tls, closeIfBody());
        if (respond.retryAfterSeconds() > 0) {
            response.headers().set(HttpHeaderNames.RETRY_AFTER, respond.retryAfterSeconds());
        }
        respondLocally(response);
    }

    /**
     * A request turned away before it reached a backend, because a cap on requests or upstream
     * connections is reached: over HTTP/2 the stream is reset with REFUSED_STREAM, which tells
     * the client that nothing of it was processed and it may retry (RFC 9113 8.7); over HTTP/1.1,
     * 503 with Retry-After, and the connection is closed, so the client holds one less.
     */
    private void refuse(String reason) {
        services.metrics().requestRefused(reason);
        closeAfter = true;
        if (connection.multiplexed()) {
            status = 503; // as the access log shows it; the client sees the reset
            state = State.RESPONDED;
            connection.refuseStream();
            finish();
            return;
        }
        FullHttpResponse response = LocalResponses.error(down.alloc(), HttpResponseStatus.SERVICE_UNAVAILABLE,
                config.responseHeaders(), tls, true);
        response.headers().set(HttpHeaderNames.RETRY_AFTER, 1);
        respondLocally(response);
    }

    private void upstreamFailed() {
        if (upstream != null) {
            upstream.discard();
        }
        respondError(HttpResponseStatus.BAD_GATEWAY);
    }

    private void abort() {
        closeAfter = true;
        finish();
    }

    private void maybeFinish() {
        if (state != State.RESPONDED) {
            return;
        }
        if (requestComplete) {
            finish();
        } else if (upstreamChannel != null) {
            // The backend answered before reading the whole body: the rest of it would be
            // read as a new request on either connection.
            closeAfter = true;
            finish();
        }
    }

    private void finish() {
        if (state == State.FINISHED) {
            return;
        }
        boolean tunnelled = state == State.TUNNEL;
        boolean responseComplete = state == State.RESPONDED || tunnelled;
        state = State.FINISHED;
        if (authSubrequest != null) {
            authSubrequest.cancel();
            authSubrequest = null;
        }
        connection.responseDeadline().disarm();
        connection.disarmIdle();
        for (HttpContent piece; (piece = pendingBody.poll()) != null; ) {
            piece.release();
        }
        if (upstream != null && !tunnelled) {
            if (requestComplete && responseComplete && upstreamReusable) {
                upstream.release();
            } else {
                upstream.discard();
            }
        }
        if (tries != null) {
            tries.end();
        }
        long durationNanos = System.nanoTime() - startNanos;
        String routeName = route() == null ? "none" : route().name();
        services.metrics().requestCompleted(routeName, status, durationNanos);
        InetAddress client = client();
        RequestTarget target = target();
        services.accessLog().log(new AccessLogEntry(startMillis,
                client.equals(connection.peer()) ? connection.peerText() : IpAddresses.format(client),
                connection.peerText(), request.method().name(),
                target == null ? null : target.authority(), target == null ? request.uri() : target.rawPath(),
                connection.multiplexed() ? "HTTP/2" : request.protocolVersion().text(), status, bytesIn, bytesOut,
                durationNanos / 1000, forward == null ? null : forward.target().toString(), routeName,
                tries == null || tries.last() == null ? null : tries.last().toString(),
                tries == null ? 0 : tries.tries()));
        if (counted() != null) {
            services.requestsPerClient().release(counted());
        }
        services.exchangeFinished();
        connection.exchangeDone(!closeAfter && requestComplete && responseComplete && !tunnelled, lastWrite);
    }

    // ---- timers ------------------------------------------------------------------------

    private void startResponseTimer() {
        if (!state.awaitingResponse()) {
            return;
        }
        long nanos = forward.retries().tryTimeout(forward.responseTimeout()).toNanos();
        if (grpcTimeoutNanos > 0) {
            // The client gives up at its deadline anyway: answer DEADLINE_EXCEEDED then, and cancel the backend's work.
            nanos = Math.max(1, Math.min(nanos, grpcTimeoutNanos - (System.nanoTime() - startNanos)));
        }
        connection.responseDeadline().arm(nanos);
    }

    /** The route's response timeout passed with no response head. */
    void onResponseTimeout() {
        if (state.awaitingResponse()) {
            tries.failed();
            if (tries.retry(RetryOn.STATUS_504, requestComplete)) {
                retryUpstream();
                return;
            }
            if (upstream != null) {
                upstream.discard();
            }
            respondError(HttpResponseStatus.GATEWAY_TIMEOUT);
        }
    }

    /**
     * limits.requestBodyTimeout passed with no byte of the body: 408 (which closes the
     * connection, the body being unfinished) while no response has started, else a cut
     * connection. Either way the upstream connection is closed, so the backend sees the
     * request aborted rather than waiting for the rest of the body.
     */
    void onRequestBodyTimeout() {
        if (state == State.FINISHED || requestComplete) {
            return;
        }
        respondError(HttpResponseStatus.REQUEST_TIMEOUT); // finish() discards the upstream connection
    }

    /** The route's idle time passed with nothing from the backend while the response streamed. */
    void onIdleTimeout() {
        if (state == State.STREAMING) {
            abort();
        }
    }
}
