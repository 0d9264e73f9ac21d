package dev.portico.runtime.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link UpstreamHttpCodec} on every split of the bytes into two reads: the connection is idle after a response
 * exactly when nothing followed it, and whatever followed never comes out as a message, however it is cut.
 */
class UpstreamHttpCodecTest {

    static final String EVIL = "HTTP/1.1 200 OK\r\nSet-Cookie: session=attacker\r\nX-Swallow: ";

    static Stream<Arguments> exchanges() {
        return Stream.of(
                Arguments.of("GET", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", ""),
                Arguments.of("GET", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", EVIL),
                Arguments.of("GET", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", "\r\n"),
                Arguments.of("HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", ""),
                Arguments.of("HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", "0123456789"),
                Arguments.of("HEAD", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "0\r\n\r\n"),
                Arguments.of("GET", "HTTP/1.1 204 No Content\r\n\r\n", ""),
                Arguments.of("GET", "HTTP/1.1 204 No Content\r\n\r\n", EVIL),
                Arguments.of("GET", "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n", "evil!"),
                Arguments.of("GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-T: 1\r\n\r\n",
                        ""),
                Arguments.of("GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", EVIL),
                Arguments.of("GET", "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n"
                        + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", ""),
                Arguments.of("GET", "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
                        + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", EVIL),
                Arguments.of("HEAD", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n",
                        "0123456789"));
    }

    @ParameterizedTest(name = "{0} {1}+{2}")
    @MethodSource("exchanges")
    void bytesAfterTheFinalResponseAreNeverDecodedHoweverTheReadsAreCut(String method, String response,
                                                                       String extra) {
        byte[] wire = (response + extra).getBytes(StandardCharsets.ISO_8859_1);
        for (int cut = 0; cut <= wire.length; cut++) {
            List<UpstreamStats.Discard> discards = new ArrayList<>();
            UpstreamHttpCodec codec = new UpstreamHttpCodec(new CountingStats(discards));
            EmbeddedChannel channel = new EmbeddedChannel(codec);
            channel.writeOutbound(request(method));
            ReferenceCountUtil.release(channel.readOutbound());

            channel.writeInbound(Unpooled.wrappedBuffer(wire, 0, cut));
            if (channel.isOpen()) {
                channel.writeInbound(Unpooled.wrappedBuffer(wire, cut, wire.length - cut));
            }

            List<Object> messages = drain(channel);
            String at = method + " cut at " + cut;
            Object lastMessage = messages.get(messages.size() - 1);
            assertThat(lastMessage).as(at).isInstanceOf(LastHttpContent.class);
            HttpResponse finalHead = (HttpResponse) messages.stream().filter(m -> m instanceof HttpResponse)
                    .reduce((a, b) -> b).orElseThrow();
            assertThat(finalHead.status().code()).as(at).isGreaterThanOrEqualTo(200);
            assertThat(finalHead.headers().contains("Set-Cookie")).as(at).isFalse();
            assertThat(codec.dirty()).as(at).isEqualTo(!extra.isEmpty());
            assertThat(codec.idle()).as(at).isEqualTo(extra.isEmpty());
            assertThat(channel.isOpen()).as(at).isEqualTo(extra.isEmpty());
            assertThat(discards).as(at).hasSize(extra.isEmpty() ? 0 : 1);
            messages.forEach(ReferenceCountUtil::release);
            channel.finishAndReleaseAll();
        }
    }

    @Test
    void bytesAfterA101AreTheNewProtocolsAndTheConnectionIsNeverIdleAgain() {
        List<UpstreamStats.Discard> discards = new ArrayList<>();
        UpstreamHttpCodec codec = new UpstreamHttpCodec(new CountingStats(discards));
        EmbeddedChannel channel = new EmbeddedChannel(codec);
        DefaultFullHttpRequest upgrade = request("GET");
        upgrade.headers().set(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET);
        channel.writeOutbound(upgrade);
        ReferenceCountUtil.release(channel.readOutbound());

        channel.writeInbound(Unpooled.copiedBuffer("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Accept: x\r\n\r\n\u0081\u0002hi", StandardCharsets.ISO_8859_1));

        List<Object> messages = drain(channel);
        assertThat(messages.get(0)).isInstanceOf(HttpResponse.class);
        assertThat(messages.get(1)).isInstanceOf(LastHttpContent.class);
        assertThat(messages.get(2)).isInstanceOf(ByteBuf.class);
        assertThat(((ByteBuf) messages.get(2)).readableBytes()).isEqualTo(4);
        assertThat(codec.dirty()).isFalse();
        assertThat(codec.idle()).isFalse();
        assertThat(discards).isEmpty();
        messages.forEach(ReferenceCountUtil::release);
        channel.finishAndReleaseAll();
    }

    private static DefaultFullHttpRequest request(String method) {
        DefaultFullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(method),
                "/");
        request.headers().set(HttpHeaderNames.HOST, "backend");
        return request;
    }

    private static List<Object> drain(EmbeddedChannel channel) {
        List<Object> messages = new ArrayList<>();
        for (Object message; (message = channel.readInbound()) != null; ) {
            messages.add(message);
        }
        return messages;
    }

    private record CountingStats(List<Discard> discards) implements UpstreamStats {
        @Override public void opened() {}
        @Override public void closed() {}
        @Override public void connectFailed() {}
        @Override public void reused() {}
        @Override public void discarded(Discard reason) {
            discards.add(reason);
        }
    }
}
