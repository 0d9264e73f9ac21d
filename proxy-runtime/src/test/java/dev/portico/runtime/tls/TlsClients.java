package dev.portico.runtime.tls;

import dev.portico.runtime.testing.RawHttpClient;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.ReferenceCountUtil;
import dev.portico.runtime.testing.RawResponse;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.http.HttpClient;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/** Client side of the TLS tests: JDK sockets with chosen SNI, protocols and ALPN, and a hand-made ClientHello. */
final class TlsClients {

    private TlsClients() {}

    /** Options of one JDK client handshake; null leaves the JDK default. */
    record Options(String sni, String[] protocols, String[] cipherSuites, String[] alpn) {
        static Options sni(String name) {
            return new Options(name, null, null, null);
        }

        Options protocols(String... value) {
            return new Options(sni, value, cipherSuites, alpn);
        }

        Options ciphers(String... value) {
            return new Options(sni, protocols, value, alpn);
        }

        Options alpn(String... value) {
            return new Options(sni, protocols, cipherSuites, value);
        }
    }

    /** Connects to 127.0.0.1:{@code port} and completes the handshake (throws if it fails). */
    static SSLSocket handshake(SSLContext context, int port, Options options) throws IOException {
        SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket();
        try {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            socket.setSoTimeout(10_000);
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setServerNames(options.sni() == null ? List.of() : List.of(new SNIHostName(options.sni())));
            if (options.protocols() != null) {
                parameters.setProtocols(options.protocols());
            }
            if (options.cipherSuites() != null) {
                parameters.setCipherSuites(options.cipherSuites());
            }
            if (options.alpn() != null) {
                parameters.setApplicationProtocols(options.alpn());
            }
            socket.setSSLParameters(parameters);
            socket.startHandshake();
            return socket;
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /** The subject of the certificate the server presented on {@code socket}. */
    static String peerSubject(SSLSocket socket) {
        try {
            return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSubjectX500Principal().getName();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The subject of the certificate a full handshake with SNI {@code sni} gets. Takes a
     * fresh client context each time: the JDK keys its session cache by host and port and
     * resends the cached session's SNI, so a shared context would resume an earlier
     * session (and report its certificate) whatever name is asked for.
     */
    static String subjectFor(TestCertificates.Ca ca, int port, String sni) throws IOException {
        try (SSLSocket socket = handshake(ca.clientContext(), port, Options.sni(sni))) {
            return peerSubject(socket);
        }
    }

    /** What an OpenSSL client saw in its handshake: the server's certificate and the stapled OCSP response. */
    record StapledHandshake(String subject, byte[] ocspResponse) {
        boolean stapled() {
            return ocspResponse != null && ocspResponse.length > 0;
        }
    }

    /**
     * A full handshake by a BoringSSL client that asks for a stapled OCSP response (the
     * status_request extension). The JDK client can only ask when a system property is set
     * before its TLS classes load, which one test JVM cannot guarantee.
     */
    static StapledHandshake stapledHandshake(TestCertificates.Ca ca, int port, String sni) throws Exception {
        SslContext context = SslContextBuilder.forClient()
                .sslProvider(SslProvider.OPENSSL)
                .enableOcsp(true)
                .trustManager(ca.certificate())
                .build();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            SslHandler[] ssl = new SslHandler[1];
            Channel channel = new Bootstrap().group(group).channel(NioSocketChannel.class)
                    .handler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ssl[0] = context.newHandler(ch.alloc(), sni, port);
                            ch.pipeline().addLast(ssl[0]);
                        }
                    })
                    .connect("127.0.0.1", port).sync().channel();
            try {
                if (!ssl[0].handshakeFuture().await(10, TimeUnit.SECONDS)) {
                    throw new IOException("no handshake within 10 s");
                }
                if (!ssl[0].handshakeFuture().isSuccess()) {
                    throw new IOException("handshake failed", ssl[0].handshakeFuture().cause());
                }
                var engine = (ReferenceCountedOpenSslEngine) ssl[0].engine();
                String subject = ((X509Certificate) engine.getSession().getPeerCertificates()[0])
                        .getSubjectX500Principal().getName();
                return new StapledHandshake(subject, engine.getOcspResponse());
            } finally {
                channel.close().sync();
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            ReferenceCountUtil.release(context);
        }
    }

    /** One HTTP/1.1 request on an established TLS socket (which stays open unless the request closes it). */
    static RawResponse request(SSLSocket socket, String host, String target, String... headers) throws IOException {
        StringBuilder raw = new StringBuilder("GET ").append(target).append(" HTTP/1.1\r\nHost: ").append(host)
                .append("\r\n");
        for (String header : headers) {
            raw.append(header).append("\r\n");
        }
        RawHttpClient client = RawHttpClient.over(socket);
        client.send(raw.append("\r\n").toString());
        return client.readResponse();
    }

    /** A JDK HttpClient trusting {@code context}'s CA. */
    static HttpClient httpClient(SSLContext context, HttpClient.Version version) {
        return HttpClient.newBuilder()
                .sslContext(context)
                .version(version)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    /** What the server sent back to a hand-written ClientHello. */
    enum HelloAnswer { SERVER_HELLO, ALERT, CLOSED }

    /**
     * Sends a ClientHello with {@code version} as its only offered protocol (no
     * supported_versions extension, the way a TLS 1.0/1.1/1.2 client speaks) and reads
     * what comes back. The JDK client cannot be used for this: JDK 17 disables TLS 1.0
     * and 1.1 on its own side, so its failure would prove nothing about the server.
     * The hello offers AES-GCM and AES-CBC suites, so only the version decides.
     */
    static HelloAnswer rawClientHello(int port, int version) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(clientHello(version));
            socket.getOutputStream().flush();
            DataInputStream in = new DataInputStream(socket.getInputStream());
            int contentType;
            byte[] header = new byte[5];
            try {
                in.readFully(header);
                contentType = header[0] & 0xFF;
                if (contentType == 0x16) {
                    int handshakeType = in.readUnsignedByte();
                    return handshakeType == 0x02 ? HelloAnswer.SERVER_HELLO : HelloAnswer.ALERT;
                }
            } catch (EOFException | SocketException e) {
                return HelloAnswer.CLOSED;
            }
            return contentType == 0x15 ? HelloAnswer.ALERT : HelloAnswer.CLOSED;
        }
    }

    private static byte[] clientHello(int version) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        u16(body, version);
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        body.writeBytes(random);
        body.write(0); // no session id
        int[] suites = {0xC02B, 0xC02F, 0xC02C, 0xC030, 0xC013, 0xC014, 0x009C, 0x002F, 0x0035};
        u16(body, suites.length * 2);
        for (int suite : suites) {
            u16(body, suite);
        }
        body.write(1);
        body.write(0); // null compression
        ByteArrayOutputStream extensions = new ByteArrayOutputStream();
        // supported_groups: x25519, secp256r1
        extension(extensions, 0x000a, new byte[] {0, 4, 0, 0x1d, 0, 0x17});
        // ec_point_formats: uncompressed
        extension(extensions, 0x000b, new byte[] {1, 0});
        // signature_algorithms: ecdsa_secp256r1_sha256, rsa_pss_rsae_sha256, rsa_pkcs1_sha256, rsa_pkcs1_sha1
        extension(extensions, 0x000d, new byte[] {0, 8, 4, 3, 8, 4, 4, 1, 2, 1});
        u16(body, extensions.size());
        body.writeBytes(extensions.toByteArray());

        ByteArrayOutputStream handshake = new ByteArrayOutputStream();
        handshake.write(0x01);
        u24(handshake, body.size());
        handshake.writeBytes(body.toByteArray());

        ByteArrayOutputStream record = new ByteArrayOutputStream();
        record.write(0x16);
        u16(record, Math.min(version, 0x0301)); // record layer version, as real clients send
        u16(record, handshake.size());
        record.writeBytes(handshake.toByteArray());
        return record.toByteArray();
    }

    private static void extension(ByteArrayOutputStream out, int type, byte[] data) {
        u16(out, type);
        u16(out, data.length);
        out.writeBytes(data);
    }

    private static void u16(ByteArrayOutputStream out, int value) {
        out.write((value >> 8) & 0xFF);
        out.write(value & 0xFF);
    }

    private static void u24(ByteArrayOutputStream out, int value) {
        out.write((value >> 16) & 0xFF);
        u16(out, value & 0xFFFF);
    }
}
