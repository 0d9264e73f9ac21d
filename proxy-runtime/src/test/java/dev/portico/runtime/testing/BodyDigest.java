package dev.portico.runtime.testing;

import io.netty.buffer.ByteBuf;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Running summary of a body seen in pieces: byte count, SHA-256 and a bounded prefix. This is what lets the backend
 * accept a 1 GiB upload in constant memory while still letting tests check the exact bytes arrived.
 */
final class BodyDigest {

    static final int PREFIX_LIMIT = 64 * 1024;

    private final MessageDigest sha256 = newSha256();
    private final ByteArrayOutputStream prefix = new ByteArrayOutputStream();
    private long length;

    void update(ByteBuf piece) {
        int readable = piece.readableBytes();
        if (readable == 0) {
            return;
        }
        // nioBuffer() is a view for the common (single-component) case, so hashing copies nothing.
        ByteBuffer view = piece.nioBuffer(piece.readerIndex(), readable);
        int room = PREFIX_LIMIT - prefix.size();
        if (room > 0) {
            byte[] head = new byte[Math.min(room, readable)];
            piece.getBytes(piece.readerIndex(), head);
            prefix.writeBytes(head);
        }
        sha256.update(view);
        length += readable;
    }

    void update(byte[] bytes, int offset, int count) {
        int room = PREFIX_LIMIT - prefix.size();
        if (room > 0) {
            prefix.write(bytes, offset, Math.min(room, count));
        }
        sha256.update(bytes, offset, count);
        length += count;
    }

    long length() {
        return length;
    }

    byte[] prefix() {
        return prefix.toByteArray();
    }

    /** Finishes the digest; call once. */
    String sha256Hex() {
        return HexFormat.of().formatHex(sha256.digest());
    }

    static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK ships SHA-256", e);
        }
    }
}
