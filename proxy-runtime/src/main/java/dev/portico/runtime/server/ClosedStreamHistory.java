package dev.portico.runtime.server;

import java.util.Arrays;

/**
 * What became of a client's most recent stream ids, which Netty forgets once a stream closes:
 * whether a HEADERS frame ever opened the id, and whether its stream then ended with END_STREAM
 * both ways (rather than by a reset either way). RFC 9113 needs the difference: a frame on a
 * stream both sides ended is a connection error STREAM_CLOSED (5.1), a new stream id below one
 * already used a connection error PROTOCOL_ERROR (5.1.1), while a frame on a reset stream may be
 * one the peer sent before it saw the reset and only gets a stream error.
 *
 * <p>Memory is fixed whatever the client does (a reset flood included): two bits for each of the
 * {@link #WINDOW} client ids at and below the highest one opened. Older ids are not remembered,
 * and for those the caller keeps Netty's answer. One connection's event loop only.
 */
final class ClosedStreamHistory {

    /**
     * Client stream ids remembered. Late frames on a closed stream come within a round trip, and a
     * client has at most 128 streams open at once (AlpnHandler), so 1,024 ids is ample; 256 bytes.
     */
    static final int WINDOW = 1024;

    private final long[] opened = new long[WINDOW / Long.SIZE];
    private final long[] endedCleanly = new long[WINDOW / Long.SIZE];
    /** The highest client stream id a HEADERS frame named; 0 before the first. */
    private int highest;

    int highest() {
        return highest;
    }

    /**
     * A HEADERS frame names client stream {@code id}. A new highest id opens it and leaves every
     * id it skipped never opened (RFC 9113 5.1.1: they can no longer be used).
     */
    void headersFor(int id) {
        if (id <= highest) {
            return;
        }
        long skipped = ((long) id - highest) / 2;
        if (skipped >= WINDOW) {
            Arrays.fill(opened, 0);
            Arrays.fill(endedCleanly, 0);
        } else {
            for (int skippedId = highest + 2; skippedId < id; skippedId += 2) {
                clear(opened, skippedId);
                clear(endedCleanly, skippedId);
            }
        }
        highest = id;
        set(opened, id);
        clear(endedCleanly, id);
    }

    /** Client stream {@code id} closed with END_STREAM sent and received, no RST_STREAM either way. */
    void endedCleanly(int id) {
        if (remembers(id)) {
            set(endedCleanly, id);
        }
    }

    /** Whether {@code id} is a client stream id at or below the highest opened that is still in the window. */
    boolean remembers(int id) {
        return (id & 1) == 1 && id <= highest && id > highest - 2 * WINDOW;
    }

    /** For a remembered id: whether a HEADERS frame opened it (else the client skipped it). */
    boolean wasOpened(int id) {
        return isSet(opened, id);
    }

    /** For a remembered id: whether its stream closed with END_STREAM both ways. */
    boolean hasEndedCleanly(int id) {
        return isSet(endedCleanly, id);
    }

    private static int slot(int id) {
        return (id >>> 1) & (WINDOW - 1);
    }

    private static void set(long[] bits, int id) {
        int slot = slot(id);
        bits[slot >>> 6] |= 1L << slot;
    }

    private static void clear(long[] bits, int id) {
        int slot = slot(id);
        bits[slot >>> 6] &= ~(1L << slot);
    }

    private static boolean isSet(long[] bits, int id) {
        int slot = slot(id);
        return (bits[slot >>> 6] & (1L << slot)) != 0;
    }
}
