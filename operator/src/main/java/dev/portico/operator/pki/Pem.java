package dev.portico.operator.pki;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/** PEM in and out: certificates as {@code CERTIFICATE} blocks, private keys as PKCS#8 {@code PRIVATE KEY}. */
public final class Pem {

    private Pem() {}

    public static String certificates(List<X509Certificate> chain) {
        StringBuilder pem = new StringBuilder();
        for (X509Certificate certificate : chain) {
            try {
                pem.append(block("CERTIFICATE", certificate.getEncoded()));
            } catch (CertificateEncodingException e) {
                throw new IllegalStateException(e);
            }
        }
        return pem.toString();
    }

    public static String privateKey(PrivateKey key) {
        return block("PRIVATE KEY", key.getEncoded());
    }

    private static String block(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    /** @throws IllegalArgumentException when the text holds no certificate or is not PEM */
    public static List<X509Certificate> readCertificates(String pem) {
        try {
            List<X509Certificate> chain = new ArrayList<>();
            for (var certificate : CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))) {
                chain.add((X509Certificate) certificate);
            }
            if (chain.isEmpty()) {
                throw new IllegalArgumentException("no certificate");
            }
            return chain;
        } catch (CertificateException e) {
            throw new IllegalArgumentException("not a PEM certificate (" + e.getMessage() + ")");
        }
    }

    /** @throws IllegalArgumentException when the text holds no unencrypted private key */
    public static PrivateKey readPrivateKey(String pem) {
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            Object read = parser.readObject();
            JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            if (read instanceof PrivateKeyInfo info) {
                return converter.getPrivateKey(info);
            }
            if (read instanceof PEMKeyPair pair) {
                return converter.getPrivateKey(pair.getPrivateKeyInfo());
            }
            throw new IllegalArgumentException("no unencrypted private key");
        } catch (IOException | RuntimeException e) {
            if (e instanceof IllegalArgumentException i) {
                throw i;
            }
            throw new IllegalArgumentException("not a PEM private key (" + e.getMessage() + ")");
        }
    }
}
