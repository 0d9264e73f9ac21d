package dev.portico.runtime.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * The deterministic download body: byte {@code i} is {@code (i * 31 + 7) & 0xFF}. Because that repeats every 256
 * bytes, one shared array serves every offset, so neither the backend nor the digest helper allocates per byte.
 */
final class DownloadPattern {

    static final int CHUNK = 64 * 1024;
    private static final int PERIOD = 256;
    private static final byte[] PATTERN = new byte[CHUNK + PERIOD];

    static {
        for (int i = 0; i < PATTERN.length; i++) {
            PATTERN[i] = (byte) ((i * 31 + 7) & 0xFF);
        }
    }

    private DownloadPattern() {
    }

    static byte byteAt(long i) {
        return (byte) ((i * 31 + 7) & 0xFF);
    }

    /** A read-only view of the pattern from {@code offset}, at most {@link #CHUNK} bytes; wraps, never copies. */
    static ByteBuf slice(long offset, int length) {
        if (length > CHUNK) {
            throw new IllegalArgumentException("length " + length + " > " + CHUNK);
        }
        return Unpooled.wrappedBuffer(PATTERN, (int) (offset % PERIOD), length).asReadOnly();
    }

    static String sha256(long n) {
        MessageDigest sha = BodyDigest.newSha256();
        for (long offset = 0; offset < n; offset += CHUNK) {
            int len = (int) Math.min(CHUNK, n - offset);
            sha.update(PATTERN, (int) (offset % PERIOD), len);
        }
        return HexFormat.of().formatHex(sha.digest());
    }
}
