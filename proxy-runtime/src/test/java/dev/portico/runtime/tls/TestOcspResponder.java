package dev.portico.runtime.tls;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.BasicOCSPRespBuilder;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.OCSPException;
import org.bouncycastle.cert.ocsp.OCSPReq;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.OCSPRespBuilder;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.bouncycastle.cert.ocsp.UnknownStatus;
import org.bouncycastle.cert.ocsp.jcajce.JcaBasicOCSPRespBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;

/**
 * An OCSP responder on loopback (the JDK's HTTP server, Bouncy Castle for the protocol):
 * answers each POSTed request about whatever certificate it names, signed by the test CA
 * or a delegated responder, with the status, validity and kind of failure a test asks for.
 */
public final class TestOcspResponder implements AutoCloseable {

    /** What the responder answers. */
    public enum Answer {
        GOOD, REVOKED, UNKNOWN, TRY_LATER, GARBAGE, HTTP_500,
        /** 100 KiB of body, more than any real response. */
        HUGE,
        /** Takes the request and does not answer until the responder closes. */
        HANG
    }

    /** Who signs the answers and for how long they are valid. */
    public record Signing(X509Certificate certificate, PrivateKey key, boolean includeCertificate,
                          Duration validity) {
        /** Signed by the CA itself, valid for {@code validity}. */
        public static Signing byCa(TestCertificates.Ca ca, Duration validity) {
            return new Signing(ca.certificate(), ca.privateKey(), false, validity);
        }

        /** Signed by a delegated responder whose certificate travels in the response. */
        public static Signing byDelegate(TestCertificates.Issued responder, Duration validity) {
            return new Signing(responder.leaf(), responder.key(), true, validity);
        }
    }

    private final HttpServer server;
    private final List<BigInteger> requestedSerials = new CopyOnWriteArrayList<>();
    private final CountDownLatch closing = new CountDownLatch(1);
    private volatile Answer answer = Answer.GOOD;
    private volatile Signing signing;

    private TestOcspResponder(HttpServer server, Signing signing) {
        this.server = server;
        this.signing = signing;
    }

    public static TestOcspResponder start(TestCertificates.Ca ca) {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            TestOcspResponder responder = new TestOcspResponder(server, Signing.byCa(ca, Duration.ofHours(1)));
            server.createContext("/ocsp", responder::handle);
            server.start();
            return responder;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The URL to put in a leaf's Authority Information Access. */
    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/ocsp";
    }

    public void answer(Answer next) {
        this.answer = next;
    }

    public void signing(Signing next) {
        this.signing = next;
    }

    /** Serial numbers of the certificates asked about, in order. */
    public List<BigInteger> requestedSerials() {
        return List.copyOf(requestedSerials);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body = exchange.getRequestBody().readAllBytes();
            if (!"POST".equals(exchange.getRequestMethod())
                    || !"application/ocsp-request".equals(exchange.getRequestHeaders().getFirst("Content-Type"))) {
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            CertificateID id = new OCSPReq(body).getRequestList()[0].getCertID();
            requestedSerials.add(id.getSerialNumber());
            Answer now = answer;
            if (now == Answer.HTTP_500) {
                exchange.sendResponseHeaders(500, -1);
                return;
            }
            if (now == Answer.HANG) {
                awaitClose();
                return;
            }
            byte[] response = switch (now) {
                case GARBAGE -> "certainly not DER".getBytes(StandardCharsets.US_ASCII);
                case HUGE -> new byte[100 * 1024];
                default -> encode(id, now, signing, Instant.now());
            };
            exchange.getResponseHeaders().set("Content-Type", "application/ocsp-response");
            exchange.sendResponseHeaders(200, response.length);
            exchange.getResponseBody().write(response);
        }
    }

    private void awaitClose() {
        try {
            closing.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A DER OCSP response about {@code id}, as a responder with {@code signing} would send at {@code now}. */
    public static byte[] encode(CertificateID id, Answer answer, Signing signing, Instant now) {
        try {
            if (answer == Answer.TRY_LATER) {
                return new OCSPRespBuilder().build(OCSPRespBuilder.TRY_LATER, null).getEncoded();
            }
            CertificateStatus status = switch (answer) {
                case REVOKED -> new RevokedStatus(Date.from(now.minus(Duration.ofMinutes(1))), CRLReason.keyCompromise);
                case UNKNOWN -> new UnknownStatus();
                default -> CertificateStatus.GOOD;
            };
            BasicOCSPRespBuilder builder = new JcaBasicOCSPRespBuilder(signing.certificate().getPublicKey(),
                    new JcaDigestCalculatorProviderBuilder().build().get(CertificateID.HASH_SHA1));
            Instant thisUpdate = now.minusSeconds(1);
            builder.addResponse(id, status, Date.from(thisUpdate),
                    signing.validity() == null ? null : Date.from(thisUpdate.plus(signing.validity())), null);
            String algorithm = signing.key().getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
            X509CertificateHolder[] certificates = signing.includeCertificate()
                    ? new X509CertificateHolder[] {new JcaX509CertificateHolder(signing.certificate())} : null;
            BasicOCSPResp basic = builder.build(new JcaContentSignerBuilder(algorithm).build(signing.key()),
                    certificates, Date.from(now));
            return new OCSPRespBuilder().build(OCSPRespBuilder.SUCCESSFUL, basic).getEncoded();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (OCSPException | OperatorCreationException | GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The certificate ID a runtime would ask about for {@code leaf}. */
    public static CertificateID idOf(X509Certificate leaf, X509Certificate issuer) {
        try {
            return new CertificateID(new JcaDigestCalculatorProviderBuilder().build().get(CertificateID.HASH_SHA1),
                    new JcaX509CertificateHolder(issuer), leaf.getSerialNumber());
        } catch (OCSPException | OperatorCreationException | GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Parses a stapled response (tests assert on what clients received). */
    public static BasicOCSPResp parse(byte[] der) {
        try {
            return (BasicOCSPResp) new OCSPResp(der).getResponseObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (OCSPException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        closing.countDown();
        server.stop(0);
    }
}
