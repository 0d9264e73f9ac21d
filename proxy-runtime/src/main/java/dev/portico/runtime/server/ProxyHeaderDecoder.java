package dev.portico.runtime.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;

/**
 * Netty's PROXY protocol decoder, told apart from the first byte whether a header comes at all.
 * Netty waits for 13 bytes and takes whatever is not the v2 signature for a v1 line, so an HTTP
 * request or a TLS ClientHello sent straight to the listener would be refused only once 108 bytes
 * or a line end arrived, as "malformed". Here each byte of the signature is checked as it comes:
 * the first one that fits neither {@code "PROXY "} (v1) nor the 12-byte v2 signature ends the
 * connection's reading with {@link NotAProxyHeader}, before the decoder buffers any of it.
 */
final class ProxyHeaderDecoder extends HAProxyMessageDecoder {

    private static final byte[] V1_SIGNATURE = "PROXY ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] V2_SIGNATURE = {
        0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A
    };

    /** Bytes received so far, counted up to the longer signature's length. */
    private int seen;
    private boolean maybeV1 = true;
    private boolean maybeV2 = true;
    private boolean refused;

    /** The first bytes of the connection are not a PROXY protocol header of either version. */
    static final class NotAProxyHeader extends DecoderException {
        NotAProxyHeader() {
            super("the connection does not start with a PROXY protocol header");
        }

        /** A refusal any peer can cause: no stack trace to fill in. */
        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }

    /** Whether the peer sent any byte: a connection closed with part of a header is truncated. */
    boolean started() {
        return seen > 0;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (refused) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof ByteBuf bytes && seen < V2_SIGNATURE.length && !signatureStillFits(bytes)) {
            refused = true;
            bytes.release();
            ctx.fireExceptionCaught(new NotAProxyHeader());
            return;
        }
        super.channelRead(ctx, msg);
    }

    private boolean signatureStillFits(ByteBuf bytes) {
        int from = bytes.readerIndex();
        int checked = Math.min(bytes.readableBytes(), V2_SIGNATURE.length - seen);
        for (int i = 0; i < checked; i++, seen++) {
            byte b = bytes.getByte(from + i);
            maybeV1 &= seen >= V1_SIGNATURE.length || b == V1_SIGNATURE[seen];
            maybeV2 &= b == V2_SIGNATURE[seen];
            if (!maybeV1 && !maybeV2) {
                return false;
            }
        }
        return true;
    }
}
