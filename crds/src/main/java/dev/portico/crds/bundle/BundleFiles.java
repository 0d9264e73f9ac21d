package dev.portico.crds.bundle;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The config bundle's file names and its content hash, shared by the operator that renders a
 * bundle and the runtime that serves it: both must compute the same {@code sha256:} for the
 * same files, because "every pod reports the hash the operator rendered" is what
 * {@code Programmed=True} means.
 *
 * <p>A bundle is {@code site.yaml} (the normalised ProxySite) plus, per referenced TLS Secret,
 * {@code <name>.tls.crt} and {@code <name>.tls.key}: flat keys, because a Secret's keys cannot
 * hold a '/'. Mounted, the volume's items put them at {@code secrets/<name>/tls.crt}, the
 * layout of the runtime's {@code --secrets-dir}. A site with {@code tls.acme} also has
 * {@link #ACME_CHALLENGES_FILE}, mounted next to {@code site.yaml}; so is {@link #ENDPOINTS_FILE}.
 */
public final class BundleFiles {

    public static final String SITE_FILE = "site.yaml";
    /** Bundle key and mounted file holding the bundle's revision; not part of the hash. */
    public static final String REVISION_FILE = "revision";
    /** HTTP-01 answers of a site with tls.acme ({@link AcmeChallengeAnswers}); present, perhaps empty, in its bundles. */
    public static final String ACME_CHALLENGES_FILE = "acme-http-01";
    /** The ready addresses of the backend Services the operator resolved ({@link BackendEndpoints}); present, perhaps "{}", in an operator's bundles. */
    public static final String ENDPOINTS_FILE = "backend-endpoints.json";
    private static final String CERTIFICATE_SUFFIX = ".tls.crt";
    private static final String PRIVATE_KEY_SUFFIX = ".tls.key";
    private static final String HTPASSWD_SUFFIX = ".htpasswd";

    private BundleFiles() {}

    public static String certificateKey(String secretName) {
        return secretName + CERTIFICATE_SUFFIX;
    }

    public static String privateKeyKey(String secretName) {
        return secretName + PRIVATE_KEY_SUFFIX;
    }

    /** The htpasswd lines of a basic-auth Secret (its key {@code auth}; spec.auth.basic). */
    public static String htpasswdKey(String secretName) {
        return secretName + HTPASSWD_SUFFIX;
    }

    /** The Secret name of a {@code <name>.tls.crt}, {@code <name>.tls.key} or {@code <name>.htpasswd} key, or null for other keys. */
    public static String secretNameOf(String key) {
        if (key.endsWith(CERTIFICATE_SUFFIX)) {
            return key.substring(0, key.length() - CERTIFICATE_SUFFIX.length());
        }
        if (key.endsWith(PRIVATE_KEY_SUFFIX)) {
            return key.substring(0, key.length() - PRIVATE_KEY_SUFFIX.length());
        }
        if (key.endsWith(HTPASSWD_SUFFIX)) {
            return key.substring(0, key.length() - HTPASSWD_SUFFIX.length());
        }
        return null;
    }

    /**
     * {@code sha256:<hex>} over every key and content in key order, each length-prefixed so that
     * no two different bundles feed the digest the same bytes.
     */
    public static String hash(Map<String, String> files) {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
        SortedMap<String, String> sorted = files instanceof SortedMap<String, String> s && s.comparator() == null
                ? s : new TreeMap<>(files);
        sorted.forEach((key, content) -> {
            update(digest, key);
            update(digest, content);
        });
        return "sha256:" + HexFormat.of().formatHex(digest.digest());
    }

    private static void update(MessageDigest digest, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        digest.update(Integer.toString(bytes.length).getBytes(StandardCharsets.US_ASCII));
        digest.update((byte) ':');
        digest.update(bytes);
    }
}
