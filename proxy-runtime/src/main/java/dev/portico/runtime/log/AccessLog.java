package dev.portico.runtime.log;

import io.netty.util.internal.PlatformDependent;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * One JSON line per request on stdout. Event loops format the line in a builder of their
 * own and put the one resulting string on a bounded lock-free queue; one writer thread
 * copies the lines into a reused buffer and writes it in large chunks. A slow stdout
 * reader therefore costs dropped lines (counted), never a stalled event loop, and a busy
 * proxy pays no per-line system call or logging-framework event, and one allocation per
 * line (a fresh builder, its growth and two copies cost a quarter of all bytes allocated
 * per request; young collections are what a p99 latency is made of). Formatting stays on
 * the event loops: moved to the writer it competed with them for the same CPU.
 */
public final class AccessLog implements AutoCloseable {

    static final int QUEUE_CAPACITY = 64 * 1024;
    private static final int BUFFER_BYTES = 64 * 1024;
    private static final int WAKE_THRESHOLD = QUEUE_CAPACITY / 4;
    /** How long a line may wait before it reaches stdout when traffic is light. */
    private static final long IDLE_PARK_NANOS = 20_000_000L;
    private static final byte[] NEWLINE = {'\n'};

    private static final ThreadLocal<StringBuilder> FORMAT = ThreadLocal.withInitial(() -> new StringBuilder(512));

    private final Queue<String> lines = PlatformDependent.newFixedMpscQueue(QUEUE_CAPACITY);
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicLong dropped = new AtomicLong();
    private final OutputStream out;
    /** The writer thread's own: the bytes not yet written. */
    private final byte[] buffer = new byte[BUFFER_BYTES];
    private int buffered;
    private final Thread writer;
    private volatile boolean closed;

    /** Writes to the process's stdout (through System.out, so a test harness can capture it). */
    public AccessLog() {
        this(System.out);
    }

    AccessLog(OutputStream out) {
        this.out = out;
        this.writer = new Thread(this::writeLoop, "portico-access-log");
        writer.setDaemon(true);
        writer.start();
    }

    public void log(AccessLogEntry entry) {
        StringBuilder line = FORMAT.get();
        line.setLength(0);
        format(line, entry);
        if (!lines.offer(line.toString())) {
            dropped.incrementAndGet();
            return;
        }
        // The writer wakes up by itself every few milliseconds; it is only woken early when
        // the queue fills, so a busy proxy pays no wake-up per line.
        if (queued.incrementAndGet() == WAKE_THRESHOLD) {
            LockSupport.unpark(writer);
        }
    }

    /** Lines lost because stdout could not keep up. */
    public long dropped() {
        return dropped.get();
    }

    private void writeLoop() {
        while (true) {
            String line = lines.poll();
            if (line != null) {
                queued.decrementAndGet();
                write(line);
                continue;
            }
            flush();
            if (closed && lines.isEmpty()) {
                return;
            }
            LockSupport.parkNanos(IDLE_PARK_NANOS);
        }
    }

    private void write(String line) {
        int length = line.length() + 1;
        if (!isAscii(line) || length > buffer.length) {
            // Rare (a non-ASCII host or path, a huge line): the general encoder.
            append(line.getBytes(StandardCharsets.UTF_8));
            append(NEWLINE);
            return;
        }
        if (buffered + length > buffer.length) {
            flush();
        }
        for (int i = 0; i < line.length(); i++) {
            buffer[buffered++] = (byte) line.charAt(i);
        }
        buffer[buffered++] = '\n';
    }

    private void append(byte[] bytes) {
        if (buffered + bytes.length > buffer.length) {
            flush();
        }
        if (bytes.length > buffer.length) {
            writeOut(bytes, bytes.length);
            return;
        }
        System.arraycopy(bytes, 0, buffer, buffered, bytes.length);
        buffered += bytes.length;
    }

    private static boolean isAscii(CharSequence text) {
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    private void flush() {
        if (buffered > 0) {
            writeOut(buffer, buffered);
            buffered = 0;
        }
    }

    private void writeOut(byte[] bytes, int length) {
        try {
            out.write(bytes, 0, length);
            out.flush();
        } catch (IOException e) {
            // stdout closed: nothing useful to do but keep serving.
        }
    }

    /** Writes what is queued and stops the writer. */
    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(writer);
        try {
            writer.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static String toJson(AccessLogEntry e) {
        StringBuilder json = new StringBuilder(256);
        format(json, e);
        return json.toString();
    }

    /** The entry as one JSON object, without the line end. */
    static void format(StringBuilder json, AccessLogEntry e) {
        json.append("{\"time\":\"");
        Timestamps.appendIso(json, e.epochMillis());
        json.append('"');
        string(json, "client_ip", e.clientIp());
        string(json, "peer", e.peer());
        string(json, "method", e.method());
        string(json, "host", e.host());
        string(json, "path", e.path());
        string(json, "protocol", e.protocol());
        json.append(",\"status\":").append(e.status());
        json.append(",\"bytes_in\":").append(e.bytesIn());
        json.append(",\"bytes_out\":").append(e.bytesOut());
        json.append(",\"duration_ms\":").append(e.durationMicros() / 1000).append('.');
        long micros = e.durationMicros() % 1000;
        json.append(micros < 10 ? "00" : micros < 100 ? "0" : "").append(micros);
        string(json, "upstream", e.upstream());
        string(json, "route", e.route());
        string(json, "endpoint", e.endpoint());
        json.append(",\"attempt\":").append(e.attempt());
        json.append('}');
    }

    private static void string(StringBuilder json, String key, String value) {
        json.append(",\"").append(key).append("\":");
        if (value == null) {
            json.append("null");
            return;
        }
        json.append('"');
        int clean = 0;
        while (clean < value.length() && !needsEscape(value.charAt(clean))) {
            clean++;
        }
        json.append(value, 0, clean); // almost always the whole value
        for (int i = clean; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> json.append("\\\"");
                case '\\' -> json.append("\\\\");
                case '\n' -> json.append("\\n");
                case '\r' -> json.append("\\r");
                case '\t' -> json.append("\\t");
                default -> {
                    if (c < 0x20) {
                        json.append(String.format("\\u%04x", (int) c));
                    } else {
                        json.append(c);
                    }
                }
            }
        }
        json.append('"');
    }

    private static boolean needsEscape(char c) {
        return c < 0x20 || c == '"' || c == '\\';
    }

    /** ISO-8601 UTC timestamps with milliseconds, the seconds formatted once per second per thread. */
    static final class Timestamps {
        private static final ThreadLocal<long[]> SECOND = ThreadLocal.withInitial(() -> new long[] {Long.MIN_VALUE});
        private static final ThreadLocal<StringBuilder> PREFIX = ThreadLocal.withInitial(StringBuilder::new);

        private Timestamps() {}

        static void appendIso(StringBuilder out, long epochMillis) {
            long second = Math.floorDiv(epochMillis, 1000);
            long[] cached = SECOND.get();
            StringBuilder prefix = PREFIX.get();
            if (cached[0] != second) {
                cached[0] = second;
                String full = Instant.ofEpochSecond(second).toString(); // 2026-11-23T11:36:02Z
                prefix.setLength(0);
                prefix.append(full, 0, full.length() - 1).append('.');
            }
            int millis = (int) Math.floorMod(epochMillis, 1000);
            out.append(prefix).append(millis < 10 ? "00" : millis < 100 ? "0" : "").append(millis).append('Z');
        }
    }
}
