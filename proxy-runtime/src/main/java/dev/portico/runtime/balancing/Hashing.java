package dev.portico.runtime.balancing;

import java.nio.charset.StandardCharsets;

/** 64-bit hashes that are the same in every JVM and pod: FNV-1a, then MurmurHash3's finaliser to spread bits. */
final class Hashing {

    private Hashing() {}

    static long of(String text) {
        return of(text.getBytes(StandardCharsets.UTF_8));
    }

    static long of(byte[] bytes) {
        long h = 0xcbf29ce484222325L;
        for (byte b : bytes) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return mix(h);
    }

    static long mix(long k) {
        k ^= k >>> 33;
        k *= 0xff51afd7ed558ccdL;
        k ^= k >>> 33;
        k *= 0xc4ceb9fe1a85ec53L;
        k ^= k >>> 33;
        return k;
    }
}
