package dev.portico.runtime.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECKey;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/**
 * A TLS secret as mounted by Kubernetes: {@code tls.crt} (leaf first, then the chain) and
 * {@code tls.key} in any PEM form cert-manager writes (PKCS#1, SEC1 or PKCS#8; Bouncy
 * Castle parses them all). Loading checks what would otherwise fail at the first
 * handshake: the key matches the certificate, and the certificate is valid today.
 */
public record CertificatePair(String secretName, List<X509Certificate> chain, PrivateKey key) {

    /** Why a secret cannot serve, in words that name the secret. */
    public static final class InvalidCertificateException extends Exception {
        InvalidCertificateException(String message) {
            super(message);
        }
    }

    public static CertificatePair load(Path secretsDir, String secretName) throws InvalidCertificateException {
        return load(SecretStore.directory(secretsDir), secretName);
    }

    public static CertificatePair load(SecretStore secrets, String secretName) throws InvalidCertificateException {
        List<X509Certificate> chain = readChain(secretName, secrets);
        PrivateKey key = readKey(secretName, secrets);
        X509Certificate leaf = chain.get(0);
        try {
            leaf.checkValidity();
        } catch (CertificateExpiredException e) {
            throw new InvalidCertificateException("secret " + secretName + ": certificate expired on " + leaf.getNotAfter());
        } catch (CertificateNotYetValidException e) {
            throw new InvalidCertificateException("secret " + secretName + ": certificate not valid before "
                    + leaf.getNotBefore());
        }
        if (!keyMatches(key, leaf.getPublicKey())) {
            throw new InvalidCertificateException("secret " + secretName
                    + ": tls.key does not belong to the certificate in tls.crt");
        }
        return new CertificatePair(secretName, List.copyOf(chain), key);
    }

    public X509Certificate leaf() {
        return chain.get(0);
    }

    private static List<X509Certificate> readChain(String secret, SecretStore secrets)
            throws InvalidCertificateException {
        try (var in = new ByteArrayInputStream(secrets.read(secret, SecretStore.CERTIFICATE))) {
            List<X509Certificate> chain = new ArrayList<>();
            for (var cert : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                chain.add((X509Certificate) cert);
            }
            if (chain.isEmpty()) {
                throw new InvalidCertificateException("secret " + secret + ": tls.crt holds no certificate");
            }
            return chain;
        } catch (NoSuchFileException e) {
            throw new InvalidCertificateException("secret " + secret + ": missing " + e.getFile());
        } catch (IOException | CertificateException e) {
            throw new InvalidCertificateException("secret " + secret + ": tls.crt is not a PEM certificate chain ("
                    + e.getMessage() + ")");
        }
    }

    private static PrivateKey readKey(String secret, SecretStore secrets) throws InvalidCertificateException {
        try (Reader reader = new InputStreamReader(
                new ByteArrayInputStream(secrets.read(secret, SecretStore.PRIVATE_KEY)), StandardCharsets.US_ASCII);
             PEMParser parser = new PEMParser(reader)) {
            Object pem = parser.readObject();
            JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            if (pem instanceof PEMKeyPair pair) {
                // Only the private half: a SEC1 key may omit its optional public key.
                return converter.getPrivateKey(pair.getPrivateKeyInfo());
            }
            if (pem instanceof PrivateKeyInfo info) {
                return converter.getPrivateKey(info);
            }
            throw new InvalidCertificateException("secret " + secret + ": tls.key holds no unencrypted private key");
        } catch (NoSuchFileException e) {
            throw new InvalidCertificateException("secret " + secret + ": missing " + e.getFile());
        } catch (IOException | RuntimeException e) {
            // Bouncy Castle reports bad base64 or ASN.1 with unchecked exceptions.
            throw new InvalidCertificateException("secret " + secret + ": tls.key is not a PEM private key ("
                    + e.getMessage() + ")");
        }
    }

    /** Signs a random challenge with the key and verifies it with the certificate's public key. */
    private static boolean keyMatches(PrivateKey key, PublicKey publicKey) {
        if (!key.getAlgorithm().equals(publicKey.getAlgorithm())
                && !(key instanceof ECKey && publicKey instanceof ECKey)) {
            return false;
        }
        String algorithm = switch (publicKey.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "Ed25519" -> "Ed25519";
            default -> null;
        };
        if (algorithm == null) {
            return false;
        }
        try {
            byte[] challenge = new byte[32];
            new SecureRandom().nextBytes(challenge);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(challenge);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(challenge);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }
}
