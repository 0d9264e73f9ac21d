package dev.portico.operator.acme;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.Base64;
import java.util.Map;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;

/**
 * The two Secrets ACME needs. The account key ({@code account.key}, PEM): made on first use and
 * reused after, so the account, its rate-limit history and its authorizations stay the same. The
 * certificate ({@code kubernetes.io/tls}): written, never deleted with the site (neither has an
 * owner reference): a certificate is costly to re-issue under the CA's rate limits, and a site
 * deleted and re-created, or renamed, picks it up again.
 */
final class AcmeSecrets {

    static final String ACCOUNT_KEY = "account.key";
    /** Names the site an ACME Secret was written for: informative, and for `kubectl get secret -l`. */
    static final String SITE_LABEL = "portico.dev/acme-site";

    private final KubernetesClient client;

    AcmeSecrets(KubernetesClient client) {
        this.client = client;
    }

    /** The account key of {@code name}, made (EC P-256) and stored when the Secret does not exist. */
    KeyPair accountKey(String namespace, String name, String site) {
        Secret existing = client.secrets().inNamespace(namespace).withName(name).get();
        if (existing == null) {
            KeyPair created = AcmeTrust.newKeyPair();
            Secret secret = new SecretBuilder()
                    .withNewMetadata().withName(name).withNamespace(namespace).addToLabels(SITE_LABEL, site).endMetadata()
                    .withType("Opaque")
                    .addToData(ACCOUNT_KEY, base64(write(created)))
                    .build();
            try {
                client.secrets().inNamespace(namespace).resource(secret).create();
                return created;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409) {
                    throw e;
                }
                // Another site of the namespace made it first: theirs is the account.
                existing = client.secrets().inNamespace(namespace).withName(name).get();
            }
        }
        String pem = existing.getData() == null ? null : existing.getData().get(ACCOUNT_KEY);
        if (pem == null) {
            throw new IllegalStateException("Secret \"" + name + "\" has no " + ACCOUNT_KEY
                    + " (an ACME account key in PEM); delete it to have a new account made");
        }
        try {
            return read(new String(Base64.getMimeDecoder().decode(pem), StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("Secret \"" + name + "\": " + ACCOUNT_KEY + " is not a PEM key pair ("
                    + e.getMessage() + ")");
        }
    }

    /** Writes the certificate Secret, creating or replacing its data (its type must be kubernetes.io/tls). */
    void writeCertificate(String namespace, String name, String site, String chainPem, String keyPem) {
        Secret secret = new SecretBuilder()
                .withNewMetadata().withName(name).withNamespace(namespace).addToLabels(SITE_LABEL, site).endMetadata()
                .withType("kubernetes.io/tls")
                .withData(Map.of("tls.crt", base64(chainPem), "tls.key", base64(keyPem)))
                .build();
        client.secrets().inNamespace(namespace).resource(secret).createOr(NonDeletingOperation::update);
    }

    /** The private key (PKCS#8) and the public key (SubjectPublicKeyInfo) in PEM, one after the other. */
    static String write(KeyPair keys) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(new JcaPKCS8Generator(keys.getPrivate(), null));
            writer.writeObject(keys.getPublic());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /** What {@link #write} wrote; also a SEC1 "EC PRIVATE KEY" with its public key (e.g. made by openssl). */
    static KeyPair read(String pem) throws IOException {
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
        PrivateKey privateKey = null;
        PublicKey publicKey = null;
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            for (Object object = parser.readObject(); object != null; object = parser.readObject()) {
                if (object instanceof PEMKeyPair pair) {
                    return converter.getKeyPair(pair);
                } else if (object instanceof PrivateKeyInfo info) {
                    privateKey = converter.getPrivateKey(info);
                } else if (object instanceof SubjectPublicKeyInfo info) {
                    publicKey = converter.getPublicKey(info);
                }
            }
        }
        if (privateKey == null || publicKey == null) {
            throw new IOException("needs a private key and its public key");
        }
        return new KeyPair(publicKey, privateKey);
    }

    private static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }
}
