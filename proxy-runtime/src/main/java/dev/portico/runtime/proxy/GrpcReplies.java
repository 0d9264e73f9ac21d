package dev.portico.runtime.proxy;

import dev.portico.runtime.headers.HeaderRules;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.util.concurrent.TimeUnit;

/**
 * What a gRPC client gets when the proxy answers itself: not an HTML or text error it cannot read, but
 * a gRPC status in a trailers-only response (HTTP 200, {@code content-type: application/grpc},
 * {@code grpc-status}, {@code grpc-message}, and no body; over HTTP/2 one HEADERS frame ending the
 * stream). Which requests are gRPC is told by their content-type, as Envoy does, whatever the route:
 * a gRPC client that reaches no route, or is refused by a policy, needs a status too.
 */
final class GrpcReplies {

    static final AsciiString GRPC_STATUS = AsciiString.cached("grpc-status");
    static final AsciiString GRPC_MESSAGE = AsciiString.cached("grpc-message");
    static final AsciiString GRPC_TIMEOUT = AsciiString.cached("grpc-timeout");
    private static final AsciiString APPLICATION_GRPC = AsciiString.cached("application/grpc");

    static final int UNKNOWN = 2;
    static final int DEADLINE_EXCEEDED = 4;
    static final int PERMISSION_DENIED = 7;
    static final int RESOURCE_EXHAUSTED = 8;
    static final int UNIMPLEMENTED = 12;
    static final int INTERNAL = 13;
    static final int UNAVAILABLE = 14;
    static final int UNAUTHENTICATED = 16;

    private GrpcReplies() {}

    /** {@code application/grpc}, {@code application/grpc+proto}, {@code application/grpc-web...}: gRPC. */
    static boolean isGrpc(HttpHeaders requestHeaders) {
        String type = requestHeaders.get(HttpHeaderNames.CONTENT_TYPE);
        return type != null && type.regionMatches(true, 0, APPLICATION_GRPC.toString(), 0, APPLICATION_GRPC.length());
    }

    /**
     * The gRPC status for an HTTP status the proxy answers with: gRPC's "HTTP to gRPC status code mapping"
     * (doc/http-grpc-status-mapping.md), except that a timeout is DEADLINE_EXCEEDED and a limit (413, 429)
     * RESOURCE_EXHAUSTED, which say more than the generic mapping's UNAVAILABLE and UNKNOWN.
     */
    static int statusFor(int httpStatus) {
        return switch (httpStatus) {
            case 400, 431 -> INTERNAL;
            case 401 -> UNAUTHENTICATED;
            case 403 -> PERMISSION_DENIED;
            case 404, 405, 501 -> UNIMPLEMENTED;
            case 408, 504 -> DEADLINE_EXCEEDED;
            case 413, 429 -> RESOURCE_EXHAUSTED;
            case 502, 503 -> UNAVAILABLE;
            default -> UNKNOWN;
        };
    }

    /** The trailers-only answer standing for {@code httpStatus}; {@code connection} carries over (close). */
    static FullHttpResponse reply(HttpResponseStatus httpStatus, HttpHeaders original, HeaderRules rules, boolean tls) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                Unpooled.EMPTY_BUFFER);
        HttpHeaders headers = response.headers();
        headers.set(HttpHeaderNames.CONTENT_TYPE, APPLICATION_GRPC)
                .set(GRPC_STATUS, statusFor(httpStatus.code()))
                // The message is percent-encoded in gRPC; ours are plain ASCII without '%'.
                .set(GRPC_MESSAGE, "portico: " + httpStatus.code() + " " + httpStatus.reasonPhrase())
                .set(HttpHeaderNames.CONTENT_LENGTH, 0);
        rules.apply(headers, tls);
        String connection = original.get(HttpHeaderNames.CONNECTION);
        if (connection != null) {
            headers.set(HttpHeaderNames.CONNECTION, connection);
        }
        String retryAfter = original.get(HttpHeaderNames.RETRY_AFTER);
        if (retryAfter != null) {
            headers.set(HttpHeaderNames.RETRY_AFTER, retryAfter);
        }
        return response;
    }

    /**
     * The {@code grpc-timeout} header in nanoseconds: 1 to 8 digits and a unit (H, M, S, m, u, n), as the
     * gRPC over HTTP/2 spec writes it; -1 when malformed (then only the route's timeout applies).
     */
    static long timeoutNanos(CharSequence value) {
        int length = value.length();
        if (length < 2 || length > 9) {
            return -1;
        }
        long amount = 0;
        for (int i = 0; i < length - 1; i++) {
            char c = value.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            amount = amount * 10 + (c - '0');
        }
        TimeUnit unit = switch (value.charAt(length - 1)) {
            case 'H' -> TimeUnit.HOURS;
            case 'M' -> TimeUnit.MINUTES;
            case 'S' -> TimeUnit.SECONDS;
            case 'm' -> TimeUnit.MILLISECONDS;
            case 'u' -> TimeUnit.MICROSECONDS;
            case 'n' -> TimeUnit.NANOSECONDS;
            default -> null;
        };
        return unit == null ? -1 : unit.toNanos(amount);
    }
}
