package dev.portico.runtime.tls.ocsp;

import java.io.IOException;
import java.security.cert.CertificateEncodingException;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ocsp.OCSPResponse;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.CertException;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.OCSPException;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.bouncycastle.cert.ocsp.SingleResp;
import org.bouncycastle.operator.ContentVerifierProvider;
import org.bouncycastle.operator.DigestCalculatorProvider;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;

/**
 * Decides whether a responder's answer may be stapled, checking what a client would
 * (RFC 6960 section 3.2): a successful basic response, signed by the issuer or by a
 * responder the issuer certified for OCSP signing, about exactly this leaf, current
 * (thisUpdate not in the future beyond clock skew, nextUpdate not passed), and with a
 * status of good or revoked. A revoked answer is stapled too: it is the truth, and
 * stapling an older "good" instead, or nothing, would hide it from clients.
 */
public final class OcspResponseCheck {

    /** Clocks of responders and of this host may disagree by this much. */
    static final Duration CLOCK_SKEW = Duration.ofMinutes(5);

    private OcspResponseCheck() {}

    /** Why an answer cannot be stapled. */
    public static final class InvalidOcspResponseException extends Exception {
        InvalidOcspResponseException(String message) {
            super(message);
        }
    }

    /**
     * An answer fit to staple.
     *
     * @param nextUpdate null when the responder gave none (RFC 6960: newer information is always available)
     * @param revokedAt  null unless the responder says the certificate is revoked
     */
    public record Verified(Instant thisUpdate, Instant nextUpdate, Instant revokedAt) {
        public boolean revoked() {
            return revokedAt != null;
        }
    }

    public static Verified verify(byte[] der, OcspSource source, Instant now) throws InvalidOcspResponseException {
        BasicOCSPResp basic = basicResponse(der);
        X509CertificateHolder issuer;
        DigestCalculatorProvider digests;
        try {
            issuer = new JcaX509CertificateHolder(source.issuer());
            digests = new JcaDigestCalculatorProviderBuilder().build();
        } catch (CertificateEncodingException | OperatorCreationException e) {
            throw new IllegalStateException("the issuer certificate was parsed, so it encodes", e);
        }
        checkSigner(basic, issuer, now);
        SingleResp single = answerFor(basic, source, issuer, digests);

        Instant thisUpdate = single.getThisUpdate().toInstant();
        Instant nextUpdate = single.getNextUpdate() == null ? null : single.getNextUpdate().toInstant();
        if (thisUpdate.isAfter(now.plus(CLOCK_SKEW))) {
            throw new InvalidOcspResponseException("its thisUpdate " + thisUpdate + " is in the future");
        }
        if (nextUpdate != null && nextUpdate.isBefore(thisUpdate)) {
            throw new InvalidOcspResponseException("its nextUpdate " + nextUpdate + " is before its thisUpdate "
                    + thisUpdate);
        }
        if (nextUpdate != null && !nextUpdate.isAfter(now)) {
            throw new InvalidOcspResponseException("it expired at its nextUpdate " + nextUpdate);
        }

        CertificateStatus status = single.getCertStatus();
        if (status == CertificateStatus.GOOD) {
            return new Verified(thisUpdate, nextUpdate, null);
        }
        if (status instanceof RevokedStatus revoked) {
            return new Verified(thisUpdate, nextUpdate, revoked.getRevocationTime().toInstant());
        }
        throw new InvalidOcspResponseException("the responder does not know the certificate (status unknown)");
    }

    private static BasicOCSPResp basicResponse(byte[] der) throws InvalidOcspResponseException {
        OCSPResponse parsed;
        try {
            // fromByteArray refuses trailing bytes, so what is stapled is exactly what was checked.
            parsed = OCSPResponse.getInstance(ASN1Primitive.fromByteArray(der));
        } catch (IOException | RuntimeException e) {
            // Bouncy Castle reports malformed ASN.1 with unchecked exceptions too.
            throw new InvalidOcspResponseException("not an OCSP response (" + e.getMessage() + ")");
        }
        if (parsed == null) {
            throw new InvalidOcspResponseException("not an OCSP response (empty)");
        }
        OCSPResp response = new OCSPResp(parsed);
        if (response.getStatus() != OCSPResp.SUCCESSFUL) {
            throw new InvalidOcspResponseException("the responder answered " + statusName(response.getStatus()));
        }
        try {
            if (response.getResponseObject() instanceof BasicOCSPResp basic) {
                return basic;
            }
        } catch (OCSPException | RuntimeException e) {
            throw new InvalidOcspResponseException("its response bytes are malformed (" + e.getMessage() + ")");
        }
        throw new InvalidOcspResponseException("not a basic OCSP response");
    }

    /** The issuer signs, or a certificate in the response that the issuer issued for OCSP signing. */
    private static void checkSigner(BasicOCSPResp basic, X509CertificateHolder issuer, Instant now)
            throws InvalidOcspResponseException {
        ContentVerifierProvider byIssuer = verifier(issuer);
        if (signedBy(basic, byIssuer)) {
            return;
        }
        for (X509CertificateHolder delegate : basic.getCerts()) {
            if (delegate.getIssuer().equals(issuer.getSubject())
                    && signatureValid(delegate, byIssuer)
                    && delegate.isValidOn(Date.from(now))
                    && forOcspSigning(delegate)
                    && signedBy(basic, verifier(delegate))) {
                return;
            }
        }
        throw new InvalidOcspResponseException("it is signed neither by the issuer nor by a responder the issuer "
                + "certified for OCSP signing");
    }

    private static SingleResp answerFor(BasicOCSPResp basic, OcspSource source, X509CertificateHolder issuer,
                                        DigestCalculatorProvider digests) throws InvalidOcspResponseException {
        for (SingleResp single : basic.getResponses()) {
            try {
                if (single.getCertID().getSerialNumber().equals(source.leaf().getSerialNumber())
                        && single.getCertID().matchesIssuer(issuer, digests)) {
                    return single;
                }
            } catch (OCSPException e) {
                // A hash algorithm we do not know: not an answer about our certificate.
            }
        }
        throw new InvalidOcspResponseException("it holds no answer about certificate serial "
                + source.leaf().getSerialNumber().toString(16) + " of this issuer");
    }

    private static boolean forOcspSigning(X509CertificateHolder certificate) {
        ExtendedKeyUsage usage = certificate.getExtensions() == null ? null
                : ExtendedKeyUsage.fromExtensions(certificate.getExtensions());
        return usage != null && usage.hasKeyPurposeId(KeyPurposeId.id_kp_OCSPSigning);
    }

    private static ContentVerifierProvider verifier(X509CertificateHolder certificate)
            throws InvalidOcspResponseException {
        try {
            return new JcaContentVerifierProviderBuilder().build(certificate);
        } catch (OperatorCreationException | java.security.cert.CertificateException e) {
            throw new InvalidOcspResponseException("cannot use the key of " + certificate.getSubject() + " ("
                    + e.getMessage() + ")");
        }
    }

    private static boolean signedBy(BasicOCSPResp basic, ContentVerifierProvider verifier) {
        try {
            return basic.isSignatureValid(verifier);
        } catch (OCSPException | RuntimeException e) {
            return false;
        }
    }

    private static boolean signatureValid(X509CertificateHolder certificate, ContentVerifierProvider verifier) {
        try {
            return certificate.isSignatureValid(verifier);
        } catch (CertException | RuntimeException e) {
            return false;
        }
    }

    private static String statusName(int status) {
        return switch (status) {
            case OCSPResp.MALFORMED_REQUEST -> "malformedRequest";
            case OCSPResp.INTERNAL_ERROR -> "internalError";
            case OCSPResp.TRY_LATER -> "tryLater";
            case OCSPResp.SIG_REQUIRED -> "sigRequired";
            case OCSPResp.UNAUTHORIZED -> "unauthorized";
            default -> "status " + status;
        };
    }
}
