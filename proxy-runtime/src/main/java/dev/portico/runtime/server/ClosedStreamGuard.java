package dev.portico.runtime.server;

import static io.netty.handler.codec.http2.Http2Error.PROTOCOL_ERROR;
import static io.netty.handler.codec.http2.Http2Error.STREAM_CLOSED;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.DecoratingHttp2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameTypes;
import io.netty.handler.codec.http2.Http2Stream;
import java.util.List;

/**
 * The stream-state errors of RFC 9113 that Netty's decoder cannot tell apart, because it forgets
 * a stream once it closes and then answers any HEADERS or DATA on it with a stream error
 * STREAM_CLOSED:
 * <ul>
 *   <li>HEADERS or DATA on a stream both sides ended with END_STREAM: connection error
 *       STREAM_CLOSED (5.1, "closed").</li>
 *   <li>HEADERS or DATA on a client stream id below the highest one used, which was itself never
 *       used: connection error PROTOCOL_ERROR (5.1.1).</li>
 *   <li>HEADERS on a half-closed (remote) stream: stream error STREAM_CLOSED (5.1), where Netty
 *       takes the block for a second trailer section and says PROTOCOL_ERROR.</li>
 * </ul>
 * A stream closed by a reset either way keeps Netty's stream error (frames the peer sent before it
 * saw the reset are expected), as does an id older than {@link ClosedStreamHistory} remembers.
 * And once the connection has failed (GOAWAY with an error code sent), no more frames are decoded.
 *
 * <p>It sits in front of Netty's decoder and hands it the input one frame at a time, so that it
 * sees each frame's type and stream id with the connection in the state that frame will meet.
 * Netty's reader consumes a frame header, then its whole payload once it has arrived; this follows
 * those boundaries by the header's length and never reads a payload. Per frame that is three
 * reads of the header and a slice; the stream map is looked up for DATA and HEADERS frames on ids
 * already used, and the history only when no such stream is open.
 */
final class ClosedStreamGuard extends DecoratingHttp2ConnectionDecoder {

    private final Http2Connection connection;
    private final ClosedStreamHistory history = new ClosedStreamHistory();
    /** Bytes of the current frame Netty's reader has not consumed yet; 0 at a frame boundary. */
    private int frameBytesLeft;
    private byte frameType;
    private int frameStreamId;
    /** The stream a header block on a half-closed (remote) stream is for, while it is decoded; else 0. */
    private int headersOnHalfClosed;
    /** The stream of the RST_STREAM frame being decoded, so its close is not taken for a clean one. */
    private int resetByClient;
    /**
     * Set once the connection failed (this guard or Netty sent GOAWAY with an error code): RFC 9113
     * 5.4.1 has the connection closed then, so the rest of the input is skipped, not decoded.
     */
    private boolean failed;

    ClosedStreamGuard(Http2ConnectionDecoder delegate) {
        super(delegate);
        this.connection = delegate.connection();
        connection.addListener(new Http2ConnectionAdapter() {
            @Override
            public void onStreamClosed(Http2Stream stream) {
                // Closed with no RST_STREAM either way: it ended with END_STREAM both ways (or the whole
                // connection closed, when nothing is decoded any more).
                if (!stream.isResetSent() && stream.id() != resetByClient
                        && connection.remote().isValidStreamId(stream.id())) {
                    history.endedCleanly(stream.id());
                }
            }

            @Override
            public void onGoAwaySent(int lastStreamId, long errorCode, ByteBuf debugData) {
                // Netty stops reading after a connection error of its decoder, but not after one of its
                // encoder (past 200 RST_STREAM sent, MadeYouReset): each frame still buffered would open a
                // refused stream and fail again, with exceptions and String.format, thousands per flood.
                if (errorCode != Http2Error.NO_ERROR.code()) {
                    failed = true;
                }
            }
        });
    }

    @Override
    public void decodeFrame(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Http2Exception {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        while (in.isReadable()) {
            if (frameBytesLeft == 0) {
                if (in.readableBytes() < Http2CodecUtil.FRAME_HEADER_LENGTH) {
                    return;
                }
                int start = in.readerIndex();
                frameBytesLeft = Http2CodecUtil.FRAME_HEADER_LENGTH + in.getUnsignedMedium(start);
                frameType = in.getByte(start + 3);
                frameStreamId = in.getInt(start + 5) & Integer.MAX_VALUE;
                Http2Exception error = checkBeforeDecoding();
                if (error != null) {
                    failed = true;
                    in.skipBytes(in.readableBytes());
                    throw error;
                }
            }
            ByteBuf frame = in.slice(in.readerIndex(), Math.min(frameBytesLeft, in.readableBytes()));
            try {
                decode(ctx, frame, out);
            } finally {
                in.skipBytes(frame.readerIndex());
                frameBytesLeft -= frame.readerIndex();
            }
            if (failed) {
                in.skipBytes(in.readableBytes());
                return;
            }
            if (frame.isReadable()) {
                return;  // Netty's reader waits for the rest of the frame
            }
        }
    }

    /** The connection error this frame must cause before Netty decodes it, if any. */
    private Http2Exception checkBeforeDecoding() {
        if (frameType == Http2FrameTypes.HEADERS) {
            headersOnHalfClosed = 0;
            if (frameStreamId > history.highest() && connection.remote().isValidStreamId(frameStreamId)) {
                history.headersFor(frameStreamId);
                return null;
            }
        } else if (frameType != Http2FrameTypes.DATA) {
            return null;
        }
        if (!history.remembers(frameStreamId) || connection.goAwaySent()) {
            return null;
        }
        Http2Stream stream = connection.stream(frameStreamId);
        if (stream != null) {
            if (frameType == Http2FrameTypes.HEADERS && stream.state() == Http2Stream.State.HALF_CLOSED_REMOTE
                    && !stream.isResetSent()) {
                headersOnHalfClosed = frameStreamId;
            }
            return null;
        }
        if (!history.wasOpened(frameStreamId)) {
            return Http2Exception.connectionError(PROTOCOL_ERROR,
                    "%s frame on stream %d, lower than stream %d already opened, and never opened itself",
                    frameName(), frameStreamId, history.highest());
        }
        if (history.hasEndedCleanly(frameStreamId)) {
            return Http2Exception.connectionError(STREAM_CLOSED,
                    "%s frame on stream %d, which both sides ended with END_STREAM", frameName(), frameStreamId);
        }
        return null;
    }

    private void decode(ChannelHandlerContext ctx, ByteBuf frame, List<Object> out) throws Http2Exception {
        if (frameType == Http2FrameTypes.RST_STREAM) {
            resetByClient = frameStreamId;
            try {
                super.decodeFrame(ctx, frame, out);
            } finally {
                resetByClient = 0;
            }
        } else if (headersOnHalfClosed != 0
                && (frameType == Http2FrameTypes.HEADERS || frameType == Http2FrameTypes.CONTINUATION)) {
            // Netty rejects the block (a second trailer section) once it has decoded it, so HPACK
            // state stays in step; only its error code is not the one RFC 9113 5.1 names.
            try {
                super.decodeFrame(ctx, frame, out);
            } catch (Http2Exception.StreamException e) {
                if (e.streamId() != headersOnHalfClosed || e.error() == STREAM_CLOSED) {
                    throw e;
                }
                throw Http2Exception.streamError(e.streamId(), STREAM_CLOSED, e,
                        "HEADERS frame on stream %d after the client's END_STREAM", e.streamId());
            }
        } else {
            super.decodeFrame(ctx, frame, out);
        }
    }

    private String frameName() {
        return frameType == Http2FrameTypes.HEADERS ? "HEADERS" : "DATA";
    }
}
