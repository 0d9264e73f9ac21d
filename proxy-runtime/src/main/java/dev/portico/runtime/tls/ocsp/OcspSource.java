package dev.portico.runtime.tls.ocsp;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.List;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.AccessDescription;
import org.bouncycastle.asn1.x509.AuthorityInformationAccess;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.X509ObjectIdentifiers;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.OCSPException;
import org.bouncycastle.cert.ocsp.OCSPReqBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;

/**
 * Where a certificate's revocation status comes from: the OCSP responder its issuer named
 * in the leaf's Authority Information Access extension, and the issuer itself, which the
 * request names (by hashes of its name and key) and which signs or delegates the answer.
 */
public record OcspSource(X509Certificate leaf, X509Certificate issuer, URI responder) {

    /** Why a chain cannot be stapled; the message completes "no OCSP stapling: ...". */
    public static final class Unavailable extends Exception {
        Unavailable(String message) {
            super(message);
        }
    }

    /**
     * @param chain leaf first, as in {@code tls.crt}
     * @throws Unavailable when the leaf names no http(s) OCSP responder or the chain lacks its issuer
     */
    public static OcspSource of(List<X509Certificate> chain) throws Unavailable {
        X509Certificate leaf = chain.get(0);
        URI responder = responder(leaf);
        for (X509Certificate candidate : chain.subList(1, chain.size())) {
            if (issued(candidate, leaf)) {
                return new OcspSource(leaf, candidate, responder);
            }
        }
        throw new Unavailable("tls.crt does not include the certificate of the leaf's issuer ("
                + leaf.getIssuerX500Principal().getName() + "), which the OCSP request has to name");
    }

    /** A DER-encoded OCSP request for the leaf, without a nonce (as nginx sends: responders cache their answers). */
    public byte[] request() throws IOException {
        try {
            // SHA-1 certificate IDs: the only kind every RFC 5019 (lightweight profile) responder must accept.
            CertificateID id = new CertificateID(
                    new JcaDigestCalculatorProviderBuilder().build().get(CertificateID.HASH_SHA1),
                    new JcaX509CertificateHolder(issuer), leaf.getSerialNumber());
            return new OCSPReqBuilder().addRequest(id).build().getEncoded();
        } catch (OperatorCreationException | OCSPException | CertificateEncodingException e) {
            throw new IOException("cannot build the OCSP request: " + e.getMessage(), e);
        }
    }

    private static URI responder(X509Certificate leaf) throws Unavailable {
        byte[] extension = leaf.getExtensionValue(Extension.authorityInfoAccess.getId());
        if (extension == null) {
            throw new Unavailable("the certificate has no Authority Information Access extension");
        }
        AuthorityInformationAccess access;
        try {
            access = AuthorityInformationAccess.getInstance(ASN1OctetString.getInstance(extension).getOctets());
        } catch (RuntimeException e) {
            throw new Unavailable("its Authority Information Access extension is malformed (" + e.getMessage() + ")");
        }
        for (AccessDescription description : access.getAccessDescriptions()) {
            GeneralName location = description.getAccessLocation();
            if (description.getAccessMethod().equals(X509ObjectIdentifiers.id_ad_ocsp)
                    && location.getTagNo() == GeneralName.uniformResourceIdentifier) {
                String url = location.getName().toString();
                try {
                    URI uri = new URI(url);
                    if (("http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme()))
                            && uri.getHost() != null) {
                        return uri;
                    }
                } catch (URISyntaxException e) {
                    // Try the next location; none usable is reported below.
                }
            }
        }
        throw new Unavailable("the certificate names no http(s) OCSP responder in its Authority Information Access");
    }

    private static boolean issued(X509Certificate issuer, X509Certificate leaf) {
        if (!issuer.getSubjectX500Principal().equals(leaf.getIssuerX500Principal())) {
            return false;
        }
        try {
            leaf.verify(issuer.getPublicKey());
            return true;
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }
}
