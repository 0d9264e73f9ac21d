package dev.portico.runtime.config;

import dev.portico.crds.InvalidProxySiteException;
import dev.portico.crds.bundle.AcmeChallengeAnswers;
import dev.portico.crds.bundle.BackendEndpoints;
import dev.portico.crds.bundle.BundleFiles;
import dev.portico.crds.bundle.ConfigPush;
import dev.portico.crds.validation.Violation;
import dev.portico.runtime.tls.SecretStore;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One whole config candidate, from either source: the bundle files (keys of
 * {@link BundleFiles}), their hash, the revision that orders them, and where the TLS
 * PEMs are read from when it is compiled.
 *
 * @param origin   "push" or "files", for log lines
 * @param revision the bundle's revision, or {@link SiteConfig#NO_REVISION} for site files
 *                 without a revision file (the runtime outside a cluster)
 * @param hash     {@link BundleFiles#hash} of {@code files}
 */
public record Bundle(String origin, long revision, String hash, SortedMap<String, String> files, SecretStore secrets) {

    public Bundle {
        files = Collections.unmodifiableSortedMap(new TreeMap<>(files));
    }

    /** A pushed bundle; its hash was checked against its files when it was read. */
    public static Bundle pushed(ConfigPush push) {
        return new Bundle("push", push.revision(), push.hash(), push.files(),
                new BundleSecrets(push.files(), key -> "files." + key));
    }

    /** The mounted or local files, read into memory so that what is compiled is exactly what was hashed. */
    public static Bundle mounted(long revision, SortedMap<String, String> files, Path secretsDir) {
        return new Bundle("files", revision, BundleFiles.hash(files), files,
                new BundleSecrets(files, key -> secretsDir.resolve(BundleFiles.secretNameOf(key))
                        .resolve(fileOf(key)).toString()));
    }

    /** The mounted file of a bundle key: {@code <name>.tls.crt} is {@code <name>/tls.crt}, and so on. */
    private static String fileOf(String key) {
        if (key.endsWith(".crt")) {
            return SecretStore.CERTIFICATE;
        }
        return key.endsWith(".key") ? SecretStore.PRIVATE_KEY : SecretStore.HTPASSWD;
    }

    public boolean hasRevision() {
        return revision != SiteConfig.NO_REVISION;
    }

    public String siteYaml() {
        return files.get(BundleFiles.SITE_FILE);
    }

    /**
     * Token to key authorization of the pending ACME HTTP-01 challenges ({@link BundleFiles#ACME_CHALLENGES_FILE}).
     *
     * @throws InvalidProxySiteException naming the line that is not a key authorization
     */
    public Map<String, String> acmeAnswers() {
        String file = files.get(BundleFiles.ACME_CHALLENGES_FILE);
        if (file == null) {
            return Map.of();
        }
        try {
            return AcmeChallengeAnswers.parse(file);
        } catch (IllegalArgumentException e) {
            throw new InvalidProxySiteException(List.of(new Violation(BundleFiles.ACME_CHALLENGES_FILE, e.getMessage())));
        }
    }

    /**
     * The operator's endpoints of backend Services ({@link BundleFiles#ENDPOINTS_FILE}); none when absent.
     *
     * @throws InvalidProxySiteException naming the entry that is wrong
     */
    public BackendEndpoints endpoints() {
        String file = files.get(BundleFiles.ENDPOINTS_FILE);
        if (file == null) {
            return BackendEndpoints.none();
        }
        try {
            return BackendEndpoints.parse(file);
        } catch (IllegalArgumentException e) {
            throw new InvalidProxySiteException(List.of(new Violation(BundleFiles.ENDPOINTS_FILE, e.getMessage())));
        }
    }

    /** "revision 7 sha256:…" or just the hash: how log lines and answers name a bundle. */
    public String describe() {
        return (hasRevision() ? "revision " + revision + " " : "") + hash;
    }
}
