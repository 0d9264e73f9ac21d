package dev.portico.runtime.tls;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AuthorityInformationAccess;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.X509ObjectIdentifiers;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;

/**
 * Certificates for TLS tests, made with Bouncy Castle: a test CA, leaves it signs (or
 * self-signed ones) with RSA 2048 or ECDSA P-256 keys, SANs and any validity window, and
 * the files of a mounted {@code kubernetes.io/tls} Secret in the key forms cert-manager
 * writes. {@link #write} replaces a secret atomically, the way the kubelet does: both
 * files live in a fresh {@code ..<n>} folder and one rename of the {@code ..data} link
 * switches them together, so a reload never sees a new certificate with an old key.
 */
public final class TestCertificates {

    /** Key algorithms the runtime must accept. */
    public enum KeyType { RSA, EC }

    /** PEM forms of {@code tls.key}. */
    public enum KeyFormat {
        /** {@code -----BEGIN PRIVATE KEY-----} */
        PKCS8,
        /**
         * {@code -----BEGIN RSA PRIVATE KEY-----} (PKCS#1) or {@code -----BEGIN EC PRIVATE KEY-----}
         * (SEC1 with the curve and the public key, as OpenSSL and cert-manager write it).
         */
        TRADITIONAL,
        /** SEC1 without the optional public key (EC only; RFC 5915 allows it). */
        SEC1_WITHOUT_PUBLIC_KEY
    }

    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());
    private static final AtomicLong GENERATION = new AtomicLong();

    private TestCertificates() {}

    /** A certificate chain (leaf first) with the private key of its leaf. */
    public record Issued(List<X509Certificate> chain, PrivateKey key, KeyPair keys) {
        public X509Certificate leaf() {
            return chain.get(0);
        }

        /** The same certificate with a key that does not belong to it. */
        public Issued withKeyOf(Issued other) {
            return new Issued(chain, other.key, other.keys);
        }

        /** A JDK server context presenting this chain (for servers built on plain sockets). */
        public SSLContext serverContext() {
            try {
                char[] password = "test".toCharArray();
                KeyStore store = KeyStore.getInstance("PKCS12");
                store.load(null, null);
                store.setKeyEntry("server", key, password, chain.toArray(new X509Certificate[0]));
                KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                keys.init(store, password);
                SSLContext context = SSLContext.getInstance("TLS");
                context.init(keys.getKeyManagers(), null, null);
                return context;
            } catch (GeneralSecurityException | IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** What a leaf should look like; defaults: RSA, valid from an hour ago for a day. */
    public static final class Spec {
        private final String commonName;
        private final List<String> sans = new ArrayList<>();
        private KeyType keyType = KeyType.RSA;
        private Instant notBefore = Instant.now().minus(Duration.ofHours(1));
        private Instant notAfter = Instant.now().plus(Duration.ofDays(1));
        private String ocspResponder;

        private Spec(String commonName) {
            this.commonName = commonName;
        }

        /** DNS names or IP literals for the subjectAltName. */
        public Spec sans(String... names) {
            sans.addAll(List.of(names));
            return this;
        }

        public Spec keyType(KeyType type) {
            this.keyType = type;
            return this;
        }

        public Spec ec() {
            return keyType(KeyType.EC);
        }

        public Spec validity(Instant from, Instant to) {
            this.notBefore = from;
            this.notAfter = to;
            return this;
        }

        /** Names an OCSP responder in the Authority Information Access extension, as public CAs do. */
        public Spec ocspResponder(String url) {
            this.ocspResponder = url;
            return this;
        }

        public Spec expired() {
            return validity(Instant.now().minus(Duration.ofDays(10)), Instant.now().minus(Duration.ofDays(1)));
        }

        public Spec notYetValid() {
            return validity(Instant.now().plus(Duration.ofDays(1)), Instant.now().plus(Duration.ofDays(10)));
        }
    }

    public static Spec leaf(String commonName) {
        return new Spec(commonName);
    }

    /** A CA that signs leaves; its certificate is what clients trust. */
    public static final class Ca {
        private final X509Certificate certificate;
        private final KeyPair keys;

        private Ca(X509Certificate certificate, KeyPair keys) {
            this.certificate = certificate;
            this.keys = keys;
        }

        public X509Certificate certificate() {
            return certificate;
        }

        /** A leaf signed by this CA; the chain is leaf then CA, as cert-manager writes it. */
        public Issued issue(Spec spec) {
            KeyPair leafKeys = generate(spec.keyType);
            X509Certificate leaf = build(new X500Name("CN=" + spec.commonName), leafKeys,
                    X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()), keys.getPrivate(),
                    spec.notBefore, spec.notAfter, spec.sans, false, KeyPurposeId.id_kp_serverAuth,
                    spec.ocspResponder);
            return new Issued(List.of(leaf, certificate), leafKeys.getPrivate(), leafKeys);
        }

        /** A certificate for a delegated OCSP responder, with {@code purpose} as its extended key usage. */
        public Issued issueResponder(String commonName, KeyPurposeId purpose) {
            KeyPair responderKeys = generate(KeyType.EC);
            Instant now = Instant.now();
            X509Certificate responder = build(new X500Name("CN=" + commonName), responderKeys,
                    X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()), keys.getPrivate(),
                    now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(1)), List.of(), false, purpose, null);
            return new Issued(List.of(responder, certificate), responderKeys.getPrivate(), responderKeys);
        }

        /** The CA's own key, which signs OCSP responses about its leaves. */
        public PrivateKey privateKey() {
            return keys.getPrivate();
        }

        /** A client context trusting only this CA, for TLS 1.2 and 1.3. */
        public SSLContext clientContext() {
            return clientContext("TLS");
        }

        /** A client context trusting only this CA for {@code protocol} (e.g. {@code TLSv1.2}). */
        public SSLContext clientContext(String protocol) {
            try {
                KeyStore trust = KeyStore.getInstance("PKCS12");
                trust.load(null, null);
                trust.setCertificateEntry("test-ca", certificate);
                TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                factory.init(trust);
                SSLContext context = SSLContext.getInstance(protocol);
                context.init(null, factory.getTrustManagers(), null);
                return context;
            } catch (GeneralSecurityException | IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    public static Ca newCa(String commonName) {
        KeyPair keys = generate(KeyType.EC);
        X500Name name = new X500Name("CN=" + commonName);
        Instant now = Instant.now();
        return new Ca(build(name, keys, name, keys.getPrivate(), now.minus(Duration.ofDays(1)),
                now.plus(Duration.ofDays(30)), List.of(), true, null, null), keys);
    }

    public static Issued selfSigned(Spec spec) {
        KeyPair keys = generate(spec.keyType);
        X500Name name = new X500Name("CN=" + spec.commonName);
        X509Certificate cert = build(name, keys, name, keys.getPrivate(), spec.notBefore, spec.notAfter, spec.sans,
                false, KeyPurposeId.id_kp_serverAuth, spec.ocspResponder);
        return new Issued(List.of(cert), keys.getPrivate(), keys);
    }

    /**
     * Writes (or atomically replaces) {@code <secretsDir>/<name>/tls.crt} and {@code tls.key}
     * in the kubelet's layout: {@code tls.crt -> ..data/tls.crt}, {@code ..data -> ..<n>}.
     */
    public static void write(Path secretsDir, String name, Issued issued, KeyFormat format) {
        writeRaw(secretsDir, name, certificatePem(issued.chain()), keyPem(issued.key(), format));
    }

    /** Same layout and atomicity with the files' text as given (for broken secrets). */
    public static void writeRaw(Path secretsDir, String name, String crt, String key) {
        try {
            Path secret = Files.createDirectories(secretsDir.resolve(name));
            Path data = secret.resolve("..data");
            Path previous = Files.isSymbolicLink(data) ? secret.resolve(Files.readSymbolicLink(data)) : null;
            Path generation = secret.resolve("..gen-" + GENERATION.incrementAndGet());
            Files.createDirectories(generation);
            Files.writeString(generation.resolve("tls.crt"), crt, StandardCharsets.US_ASCII);
            Files.writeString(generation.resolve("tls.key"), key, StandardCharsets.US_ASCII);
            Path staged = secret.resolve("..data_tmp");
            Files.deleteIfExists(staged);
            Files.createSymbolicLink(staged, generation.getFileName());
            Files.move(staged, data, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            for (String file : List.of("tls.crt", "tls.key")) {
                Path link = secret.resolve(file);
                if (!Files.isSymbolicLink(link)) {
                    Files.deleteIfExists(link);
                    Files.createSymbolicLink(link, Path.of("..data", file));
                }
            }
            if (previous != null && !previous.equals(generation)) {
                Files.deleteIfExists(previous.resolve("tls.crt"));
                Files.deleteIfExists(previous.resolve("tls.key"));
                Files.deleteIfExists(previous);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String certificatePem(List<X509Certificate> chain) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter pem = new JcaPEMWriter(out)) {
            for (X509Certificate cert : chain) {
                pem.writeObject(cert);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /** PKCS#8 ({@code PRIVATE KEY}), or PKCS#1 / SEC1 ({@code RSA PRIVATE KEY} / {@code EC PRIVATE KEY}). */
    public static String keyPem(PrivateKey key, KeyFormat format) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter pem = new JcaPEMWriter(out)) {
            if (format == KeyFormat.PKCS8) {
                pem.writeObject(new JcaPKCS8Generator(key, null));
            } else if (key instanceof ECPrivateKey ec) {
                pem.writeObject(new PemObject("EC PRIVATE KEY", sec1(ec, format == KeyFormat.TRADITIONAL)));
            } else {
                // JcaMiscPEMGenerator writes an RSA PrivateKey as PKCS#1.
                pem.writeObject(key);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /**
     * SEC1 {@code ECPrivateKey} with the named curve. The JDK's PKCS#8 encoding keeps the
     * curve outside the inner structure and has no public key, so both are put back here.
     */
    private static byte[] sec1(ECPrivateKey key, boolean withPublicKey) throws IOException {
        PrivateKeyInfo info = PrivateKeyInfo.getInstance(key.getEncoded());
        ASN1ObjectIdentifier curve = ASN1ObjectIdentifier.getInstance(info.getPrivateKeyAlgorithm().getParameters());
        X9ECParameters parameters = ECNamedCurveTable.getByOID(curve);
        int orderBits = parameters.getN().bitLength();
        if (!withPublicKey) {
            return new org.bouncycastle.asn1.sec.ECPrivateKey(orderBits, key.getS(), curve).getEncoded();
        }
        ECPoint q = parameters.getG().multiply(key.getS()).normalize();
        return new org.bouncycastle.asn1.sec.ECPrivateKey(orderBits, key.getS(), new DERBitString(q.getEncoded(false)),
                curve).getEncoded();
    }

    private static KeyPair generate(KeyType type) {
        try {
            if (type == KeyType.RSA) {
                KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
                generator.initialize(2048);
                return generator.generateKeyPair();
            }
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static X509Certificate build(X500Name subject, KeyPair subjectKeys, X500Name issuer, PrivateKey signer,
                                         Instant notBefore, Instant notAfter, List<String> sans, boolean ca,
                                         KeyPurposeId purpose, String ocspResponder) {
        try {
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer,
                    BigInteger.valueOf(SERIAL.incrementAndGet()), Date.from(notBefore), Date.from(notAfter), subject,
                    subjectKeys.getPublic());
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
            if (ca) {
                builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            } else {
                builder.addExtension(Extension.keyUsage, true,
                        new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
                builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
            }
            if (ocspResponder != null) {
                builder.addExtension(Extension.authorityInfoAccess, false, new AuthorityInformationAccess(
                        X509ObjectIdentifiers.id_ad_ocsp,
                        new GeneralName(GeneralName.uniformResourceIdentifier, ocspResponder)));
            }
            if (!sans.isEmpty()) {
                List<GeneralName> names = new ArrayList<>();
                for (String san : sans) {
                    names.add(isIpLiteral(san) ? new GeneralName(GeneralName.iPAddress, san)
                            : new GeneralName(GeneralName.dNSName, san));
                }
                builder.addExtension(Extension.subjectAlternativeName, false,
                        new GeneralNames(names.toArray(GeneralName[]::new)));
            }
            String algorithm = signer.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
            return new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder(algorithm).build(signer)));
        } catch (IOException | GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean isIpLiteral(String name) {
        if (name.contains(":")) {
            return true;
        }
        if (!name.matches("[0-9.]+")) {
            return false;
        }
        try {
            InetAddress.getByName(name);
            return true;
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
