package dev.portico.runtime.log;

import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One JSON line per request on stdout. Lines go through Logback's non-blocking async
 * appender (see logback.xml), so a slow stdout reader costs dropped log lines, never
 * stalled event loops.
 */
public final class AccessLog {

    private static final Logger LOG = LoggerFactory.getLogger("portico.access");

    public boolean enabled() {
        return LOG.isInfoEnabled();
    }

    public void log(AccessLogEntry entry) {
        if (LOG.isInfoEnabled()) {
            LOG.info(toJson(entry));
        }
    }

    static String toJson(AccessLogEntry e) {
        StringBuilder json = new StringBuilder(256);
        json.append("{\"time\":\"").append(Instant.ofEpochMilli(e.epochMillis())).append('"');
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
        return json.append('}').toString();
    }

    private static void string(StringBuilder json, String key, String value) {
        json.append(",\"").append(key).append("\":");
        if (value == null) {
            json.append("null");
            return;
        }
        json.append('"');
        for (int i = 0; i < value.length(); i++) {
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
}
