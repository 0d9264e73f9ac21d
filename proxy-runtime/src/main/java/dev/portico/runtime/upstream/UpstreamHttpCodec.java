package dev.portico.runtime.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.CombinedChannelDuplexHandler;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.ArrayDeque;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP/1.1 codec of an upstream connection: Netty's request encoder and response
 * decoder (what {@code HttpClientCodec} combines), plus what a pooled connection needs and
 * {@code HttpClientCodec} keeps private: whether every request sent has had its final
 * response end, and nothing more arrived.
 *
 * <p>A byte that arrives while no request is unanswered, whether it came in the same read as
 * the end of the last response (a body on a HEAD, 204 or 304 answer, more than Content-Length,
 * anything after the last chunk) or later while the connection idled in the pool, answers
 * nothing: parsed, it would become the start of the next client's response, headers
 * included. Such a connection is dirty: the bytes are dropped unparsed, the connection is
 * closed and counted, and {@link #idle()} never again says it may be pooled. Nothing is
 * tolerated, not even empty lines: a backend that sends them loses keep-alive, never a
 * response.
 */
final class UpstreamHttpCodec
        extends CombinedChannelDuplexHandler<UpstreamHttpCodec.ResponseDecoder, UpstreamHttpCodec.RequestEncoder> {

    private static final Logger LOG = LoggerFactory.getLogger(UpstreamHttpCodec.class);

    private final UpstreamStats stats;
    /** Methods of the requests sent whose final response head has not arrived (for HEAD and CONNECT). */
    private final ArrayDeque<HttpMethod> methods = new ArrayDeque<>(2);
    /** Requests sent whose final response has not ended. */
    private int unanswered;
    /** The response being decoded is a 1xx other than 101: the request's answer is still to come. */
    private boolean interim;
    /** A 101, or a 2xx answer to CONNECT: the connection no longer speaks HTTP. */
    private boolean switched;
    /** A response that could not be parsed: the decoder drops all that follows. */
    private boolean failed;
    /** Bytes arrived that answered no request. */
    private boolean dirty;

    UpstreamHttpCodec(UpstreamStats stats) {
        this.stats = stats;
        init(new ResponseDecoder(), new RequestEncoder());
    }

    /**
     * Whether the connection may carry another request: every response ended, and the decoder
     * holds no byte and no part of a message.
     */
    boolean idle() {
        return unanswered == 0 && !switched && !failed && !dirty && inboundHandler().buffered() == 0;
    }

    /** Whether bytes that answered no request arrived (the connection is then closed and counted already). */
    boolean dirty() {
        return dirty;
    }

    final class RequestEncoder extends HttpRequestEncoder {

        @Override
        protected void encode(ChannelHandlerContext ctx, Object msg, List<Object> out) throws Exception {
            if (msg instanceof HttpRequest request) {
                methods.offer(request.method());
                unanswered++;
            }
            super.encode(ctx, msg, out);
        }
    }

    final class ResponseDecoder extends HttpResponseDecoder {

        ResponseDecoder() {
            super(new HttpDecoderConfig());
        }

        int buffered() {
            return actualReadableBytes();
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
            if (switched || failed) {
                super.decode(ctx, in, out); // tunnel bytes after a 101, or the rest of a broken response dropped
                return;
            }
            if (unanswered == 0) {
                unsolicited(ctx, in);
                return;
            }
            int from = out.size();
            super.decode(ctx, in, out);
            track(out, from);
            // Checked before the end of the response is passed on: the exchange releasing the
            // connection then already finds it dirty.
            if (unanswered == 0 && !switched && !failed && in.isReadable()) {
                unsolicited(ctx, in);
            }
        }

        private void track(List<Object> out, int from) {
            for (int i = from, size = out.size(); i < size; i++) {
                Object message = out.get(i);
                if (message instanceof HttpResponse response) {
                    if (response.decoderResult().isFailure()) {
                        failed = true;
                        return;
                    }
                    int code = response.status().code();
                    interim = code >= 100 && code < 200 && code != 101;
                    switched |= code == 101;
                }
                if (message instanceof LastHttpContent last) {
                    if (last.decoderResult().isFailure()) {
                        failed = true;
                        return;
                    }
                    if (interim) {
                        interim = false;
                    } else {
                        unanswered--;
                    }
                }
            }
        }

        private void unsolicited(ChannelHandlerContext ctx, ByteBuf in) {
            int bytes = in.readableBytes();
            in.skipBytes(bytes);
            if (!dirty) {
                dirty = true;
                stats.discarded(UpstreamStats.Discard.UNSOLICITED_BYTES);
                LOG.debug("upstream {} sent {} bytes that answer no request; connection closed",
                        ctx.channel().remoteAddress(), bytes);
                ctx.close();
            }
        }

        /** Netty's {@code HttpClientCodec} rules: a HEAD answer has no body; a 2xx to CONNECT starts a tunnel. */
        @Override
        protected boolean isContentAlwaysEmpty(HttpMessage msg) {
            int code = ((HttpResponse) msg).status().code();
            if (code >= 100 && code < 200) {
                return super.isContentAlwaysEmpty(msg); // interim answers keep the request's method for the final one
            }
            HttpMethod method = methods.poll();
            if (HttpMethod.HEAD.equals(method)) {
                return true;
            }
            if (HttpMethod.CONNECT.equals(method) && code >= 200 && code < 300) {
                switched = true;
                return true;
            }
            return super.isContentAlwaysEmpty(msg);
        }
    }
}
