package dev.portico.runtime.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.runtime.testing.RawHttpClient;
import dev.portico.runtime.testing.RawResponse;
import dev.portico.runtime.testing.RunningProxy;
import dev.portico.runtime.testing.RuntimeProcess;
import dev.portico.runtime.testing.SiteFiles;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.ssl.SniHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code protocol: HTTPS} backends over real TLS on loopback. The backend is a small Netty HTTPS server with a
 * certificate for {@code backend.test}, either signed by a test CA or self-signed, which records the SNI name of every
 * handshake. In-process the runtime trusts only the JVM's default trust store, which knows neither; the trusted-chain
 * cases therefore run the runtime in its own JVM pointed at a trust store holding the test CA.
 */
@Timeout(90)
class UpstreamTlsTest {

    private static final AtomicLong SERIAL = new AtomicLong(1);
    private static EventLoopGroup group;
    private static Pki ca;
    private static Pki caSigned;
    private static Pki selfSigned;

    @TempDir
    Path dir;
    TlsBackend backend;
    RunningProxy proxy;

    record Pki(PrivateKey key, X509Certificate cert) {}

    @BeforeAll
    static void certificates() throws Exception {
        group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("tls-backend", true),
                NioIoHandler.newFactory());
        ca = issue("CN=Portico Test CA", null, true, null);
        caSigned = issue("CN=backend.test", ca, false, "backend.test");
        selfSigned = issue("CN=backend.test", null, false, "backend.test");
    }

    @AfterAll
    static void stopGroup() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    @Test
    void insecureSkipVerifyAcceptsASelfSignedCertificate() throws Exception {
        backend = TlsBackend.start(selfSigned);
        proxy = RunningProxy.start(dir, site(backend.port(), "{insecureSkipVerify: true, serverName: backend.test}"));

        RawResponse response = proxy.get("/hello?x=1");

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.bodyText()).isEqualTo("tls GET /hello?x=1");
        assertThat(backend.takeRequest()).isEqualTo("/hello?x=1");
    }

    @Test
    void insecureSkipVerifyIgnoresTheNameToo() throws Exception {
        // No serverName: the proxy dials 127.0.0.1, which the certificate does not name.
        backend = TlsBackend.start(selfSigned);
        proxy = RunningProxy.start(dir, site(backend.port(), "{insecureSkipVerify: true}"));

        assertThat(proxy.get("/").status()).isEqualTo(200);
        assertThat(backend.sniNames).containsExactly("");   // an IP literal is never sent as SNI
    }

    @Test
    void serverNameIsSentAsSni() throws Exception {
        backend = TlsBackend.start(selfSigned);
        proxy = RunningProxy.start(dir, site(backend.port(), "{insecureSkipVerify: true, serverName: backend.test}"));

        assertThat(proxy.get("/").status()).isEqualTo(200);

        assertThat(backend.sniNames).containsExactly("backend.test");
    }

    @Test
    void withVerificationASelfSignedCertificateIs502AndNoRequestIsSent() throws Exception {
        backend = TlsBackend.start(selfSigned);
        proxy = RunningProxy.start(dir, site(backend.port(), "{serverName: backend.test}"));

        RawResponse response = proxy.get("/secret");

        assertThat(response.status()).isEqualTo(502);
        assertThat(backend.sniNames).containsExactly("backend.test");
        assertThat(backend.requests.poll(300, TimeUnit.MILLISECONDS)).isNull();
        assertThat(backend.handshakes.get()).isZero();
    }

    @Test
    void withVerificationACertificateFromAnUnknownCaIs502() throws Exception {
        backend = TlsBackend.start(caSigned, ca.cert());
        proxy = RunningProxy.start(dir, site(backend.port(), "{insecureSkipVerify: false, serverName: backend.test}"));

        assertThat(proxy.get("/").status()).isEqualTo(502);
        assertThat(backend.requests.poll(300, TimeUnit.MILLISECONDS)).isNull();
    }

    @Test
    void tlsUpstreamConnectionsAreKeptAliveAndReused() throws Exception {
        backend = TlsBackend.start(selfSigned);
        proxy = RunningProxy.start(dir, site(backend.port(), "{insecureSkipVerify: true, serverName: backend.test}"));

        try (RawHttpClient client = proxy.connect()) {
            for (int i = 0; i < 10; i++) {
                client.send("GET /n/" + i + " HTTP/1.1\r\nHost: a\r\n\r\n");
                RawResponse response = client.readResponse();
                assertThat(response.status()).isEqualTo(200);
                assertThat(response.bodyText()).isEqualTo("tls GET /n/" + i);
            }
        }

        assertThat(backend.accepted.get()).isEqualTo(1);
        assertThat(backend.handshakes.get()).isEqualTo(1);
    }

    /**
     * The verifying path with a chain the runtime does trust: its own JVM with {@code javax.net.ssl.trustStore} set to
     * the test CA. The right name passes (over one pooled connection); a wrong serverName, or none (the IP is not in
     * the certificate), is 502.
     */
    @Test
    void aTrustedChainPassesOnlyForTheNameInTheCertificate() throws Exception {
        backend = TlsBackend.start(caSigned, ca.cert());
        Path trustStore = dir.resolve("trust.p12");
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setCertificateEntry("portico-test-ca", ca.cert());
        try (OutputStream out = Files.newOutputStream(trustStore)) {
            store.store(out, "changeit".toCharArray());
        }
        Path siteFile = SiteFiles.write(dir, """
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: tls, generation: 1}
                spec:
                  hosts: ["*"]
                  routes:
                    - match: {path: {value: /good}}
                      backend: {service: 127.0.0.1, port: %1$d, protocol: HTTPS, tls: {serverName: backend.test}}
                    - match: {path: {value: /wrong}}
                      backend: {service: 127.0.0.1, port: %1$d, protocol: HTTPS, tls: {serverName: other.test}}
                    - match: {path: {value: /ip}}
                      backend: {service: 127.0.0.1, port: %1$d, protocol: HTTPS}
                """.formatted(backend.port()));

        try (RuntimeProcess runtime = RuntimeProcess.start(siteFile, List.of(
                "-Xmx256m", "-XX:TieredStopAtLevel=1",
                "-Djavax.net.ssl.trustStore=" + trustStore.toAbsolutePath(),
                "-Djavax.net.ssl.trustStorePassword=changeit",
                "-Djavax.net.ssl.trustStoreType=PKCS12"));
             RawHttpClient client = RawHttpClient.connect(runtime.httpPort())) {
            for (int i = 0; i < 3; i++) {
                client.send("GET /good/" + i + " HTTP/1.1\r\nHost: a\r\n\r\n");
                RawResponse good = client.readResponse();
                assertThat(good.status()).as("trusted chain, matching name: %s", good).isEqualTo(200);
                assertThat(good.bodyText()).isEqualTo("tls GET /good/" + i);
            }
            assertThat(backend.accepted.get()).isEqualTo(1);

            client.send("GET /wrong HTTP/1.1\r\nHost: a\r\n\r\n");
            assertThat(client.readResponse().status()).as("trusted chain, other name").isEqualTo(502);
            client.send("GET /ip HTTP/1.1\r\nHost: a\r\n\r\n");
            assertThat(client.readResponse().status()).as("trusted chain, IP not in the certificate").isEqualTo(502);
        }
        assertThat(backend.sniNames).contains("backend.test", "other.test");
        assertThat(backend.requestsSeen).containsExactly("/good/0", "/good/1", "/good/2");
    }

    private static String site(int port, String tls) {
        return """
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: tls, generation: 1}
                spec:
                  hosts: ["*"]
                  routes:
                    - match: {path: {value: /}}
                      backend: {service: 127.0.0.1, port: %d, protocol: HTTPS, tls: %s}
                """.formatted(port, tls);
    }

    /** An EC certificate; {@code issuer == null} makes it self-signed. */
    private static Pki issue(String subject, Pki issuer, boolean isCa, String dnsName) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(256);
        KeyPair keys = generator.generateKeyPair();
        Instant now = Instant.now();
        X500Name subjectName = new X500Name(subject);
        X500Name issuerName = issuer == null ? subjectName
                : new X500Name(issuer.cert().getSubjectX500Principal().getName());
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuerName,
                BigInteger.valueOf(SERIAL.getAndIncrement()), Date.from(now.minus(Duration.ofHours(1))),
                Date.from(now.plus(Duration.ofDays(2))), subjectName, keys.getPublic());
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
        if (isCa) {
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        } else {
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
            builder.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(new GeneralName(GeneralName.dNSName, dnsName)));
        }
        PrivateKey signingKey = issuer == null ? keys.getPrivate() : issuer.key();
        X509Certificate cert = new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signingKey)));
        return new Pki(keys.getPrivate(), cert);
    }

    /** A keep-alive HTTPS origin answering {@code 200 "tls <METHOD> <uri>"}, recording SNI names and handshakes. */
    static final class TlsBackend implements AutoCloseable {

        final AtomicInteger accepted = new AtomicInteger();
        final AtomicInteger handshakes = new AtomicInteger();
        /** The SNI name of every ClientHello, {@code ""} when there was none. */
        final List<String> sniNames = new CopyOnWriteArrayList<>();
        final BlockingQueue<String> requests = new LinkedBlockingQueue<>();
        final List<String> requestsSeen = new CopyOnWriteArrayList<>();
        private Channel server;

        static TlsBackend start(Pki leaf, X509Certificate... intermediates) throws Exception {
            X509Certificate[] chain = new X509Certificate[1 + intermediates.length];
            chain[0] = leaf.cert();
            System.arraycopy(intermediates, 0, chain, 1, intermediates.length);
            SslContext context = SslContextBuilder.forServer(leaf.key(), chain).sslProvider(SslProvider.JDK).build();
            TlsBackend backend = new TlsBackend();
            backend.server = new ServerBootstrap()
                    .group(group)
                    .channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            backend.accepted.incrementAndGet();
                            ch.pipeline().addLast(new SniHandler((String name) -> {
                                backend.sniNames.add(name == null ? "" : name);
                                return context;
                            }));
                            ch.pipeline().addLast(new HttpServerCodec());
                            ch.pipeline().addLast(new HttpServerKeepAliveHandler());
                            ch.pipeline().addLast(new HttpObjectAggregator(64 * 1024));
                            ch.pipeline().addLast(backend.new Answer());
                        }
                    })
                    .bind("127.0.0.1", 0).sync().channel();
            return backend;
        }

        int port() {
            return ((InetSocketAddress) server.localAddress()).getPort();
        }

        String takeRequest() throws InterruptedException {
            String uri = requests.poll(10, TimeUnit.SECONDS);
            assertThat(uri).as("a request reached the TLS backend").isNotNull();
            return uri;
        }

        @Override
        public void close() {
            server.close().awaitUninterruptibly(5_000);
        }

        private final class Answer extends SimpleChannelInboundHandler<FullHttpRequest> {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
                requests.add(request.uri());
                requestsSeen.add(request.uri());
                byte[] body = ("tls " + request.method() + " " + request.uri()).getBytes(StandardCharsets.UTF_8);
                FullHttpResponse response = new DefaultFullHttpResponse(request.protocolVersion(), HttpResponseStatus.OK,
                        Unpooled.wrappedBuffer(body));
                response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain");
                response.headers().set(HttpHeaderNames.CONTENT_LENGTH, body.length);
                ctx.writeAndFlush(response);
            }

            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
                if (event instanceof SslHandshakeCompletionEvent done && done.isSuccess()) {
                    handshakes.incrementAndGet();
                }
                ctx.fireUserEventTriggered(event);
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                ctx.close();   // failed handshakes are the point of several tests
            }
        }
    }
}
