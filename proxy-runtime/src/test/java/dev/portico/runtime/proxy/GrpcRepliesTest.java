package dev.portico.runtime.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.runtime.headers.HeaderRules;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The gRPC side of local answers, as decision tables: which requests, which status, which deadline. */
class GrpcRepliesTest {

    @ParameterizedTest
    @CsvSource({
            "application/grpc, true",
            "application/grpc+proto, true",
            "Application/GRPC+json, true",
            "application/grpc-web+proto, true",
            "application/json, false",
            "text/html, false",
            "application/gr, false",
    })
    void grpcRequestsAreToldByTheirContentType(String contentType, boolean grpc) {
        assertThat(GrpcReplies.isGrpc(new DefaultHttpHeaders().set(HttpHeaderNames.CONTENT_TYPE, contentType)))
                .isEqualTo(grpc);
    }

    @org.junit.jupiter.api.Test
    void aRequestWithoutContentTypeIsNotGrpc() {
        assertThat(GrpcReplies.isGrpc(new DefaultHttpHeaders())).isFalse();
    }

    @ParameterizedTest
    @CsvSource({
            "400, 13", // INTERNAL, as grpc's http-grpc-status-mapping
            "401, 16", // UNAUTHENTICATED
            "403, 7",  // PERMISSION_DENIED
            "404, 12", // UNIMPLEMENTED: no route
            "408, 4",  // request body timeout: DEADLINE_EXCEEDED
            "413, 8",  // RESOURCE_EXHAUSTED
            "429, 8",  // rate limit: RESOURCE_EXHAUSTED
            "502, 14", // connect failure, upstream reset: UNAVAILABLE
            "503, 14", // no endpoint, auth service down: UNAVAILABLE
            "504, 4",  // response timeout, grpc-timeout: DEADLINE_EXCEEDED
            "500, 2",  // anything else: UNKNOWN
            "301, 2",
    })
    void httpStatusesMapToGrpcStatuses(int http, int grpc) {
        assertThat(GrpcReplies.statusFor(http)).isEqualTo(grpc);
    }

    @ParameterizedTest
    @CsvSource({
            "1H, 3600000000000",
            "2M, 120000000000",
            "5S, 5000000000",
            "100m, 100000000",
            "250u, 250000",
            "99999999n, 99999999",
            "0m, 0",
            "100, -1",          // no unit
            "m, -1",            // no digits
            "123456789S, -1",   // more than 8 digits
            "10s, -1",          // units are case-sensitive
            "1.5S, -1",
            "-1S, -1",
    })
    void grpcTimeoutIsParsedAsTheSpecWritesIt(String header, long nanos) {
        assertThat(GrpcReplies.timeoutNanos(header)).isEqualTo(nanos);
    }

    @org.junit.jupiter.api.Test
    void replyIsTrailersOnlyWithStatusAndMessage() {
        FullHttpResponse reply = GrpcReplies.reply(HttpResponseStatus.BAD_GATEWAY,
                new DefaultHttpHeaders().set(HttpHeaderNames.CONNECTION, "close").set(HttpHeaderNames.RETRY_AFTER, 1),
                HeaderRules.NONE, false);

        assertThat(reply.status().code()).isEqualTo(200);
        assertThat(reply.content().readableBytes()).isZero();
        assertThat(reply.headers().get(HttpHeaderNames.CONTENT_TYPE)).isEqualTo("application/grpc");
        assertThat(reply.headers().get("grpc-status")).isEqualTo("14");
        assertThat(reply.headers().get("grpc-message")).isEqualTo("portico: 502 Bad Gateway");
        assertThat(reply.headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("close");
        assertThat(reply.headers().get(HttpHeaderNames.RETRY_AFTER)).isEqualTo("1");
    }
}
