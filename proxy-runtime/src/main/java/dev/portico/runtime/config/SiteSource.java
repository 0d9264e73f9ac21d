package dev.portico.runtime.config;

import dev.portico.crds.bundle.BundleFiles;
import dev.portico.runtime.tls.SecretStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The files a site is made of: the ProxySite file, the secrets directory (one folder per
 * TLS secret holding {@code tls.crt} and {@code tls.key}, the layout of a mounted
 * {@code kubernetes.io/tls} Secret) and, in a cluster, the revision file of the mounted
 * bundle. They are read into a {@link Bundle} under the operator's keys, so a pod booting
 * from the mounted bundle reports exactly the hash the operator rendered.
 */
public final class SiteSource {

    /** Torn reads are retried this often within one snapshot before giving up until the next poll. */
    private static final int ATTEMPTS = 3;

    private final Path siteFile;
    private final Path secretsDir;
    private final Path revisionFile;

    /** @param revisionFile the mounted bundle's revision, or null outside a cluster */
    public SiteSource(Path siteFile, Path secretsDir, Path revisionFile) {
        this.siteFile = siteFile;
        this.secretsDir = secretsDir;
        this.revisionFile = revisionFile;
    }

    public Path siteFile() {
        return siteFile;
    }

    /**
     * Reads every file; cheap enough to do twice a second.
     *
     * @throws IOException              when a file cannot be read, or the bundle kept changing while it was read
     * @throws IllegalArgumentException when the revision file does not hold a revision
     */
    public Bundle snapshot() throws IOException {
        for (int attempt = 1; ; attempt++) {
            // The kubelet swaps the whole mounted bundle at once, but these reads are several: a
            // revision that changed meanwhile means the files may come from two bundles. Every new
            // bundle has a higher revision, so an unchanged one means one bundle was read.
            long before = revision();
            SortedMap<String, String> files = readFiles();
            if (revision() == before) {
                return Bundle.mounted(before, files, secretsDir);
            }
            if (attempt == ATTEMPTS) {
                throw new IOException(revisionFile + " changed while the bundle was read");
            }
        }
    }

    private SortedMap<String, String> readFiles() throws IOException {
        SortedMap<String, String> files = new TreeMap<>();
        files.put(BundleFiles.SITE_FILE, read(siteFile));
        // Mounted beside site.yaml for a site with tls.acme, so a pod that starts mid-order answers at once.
        readIfPresent(files, BundleFiles.ACME_CHALLENGES_FILE, siteFile.resolveSibling(BundleFiles.ACME_CHALLENGES_FILE));
        // The operator's endpoints of backend Services, mounted beside site.yaml; a standalone runtime may keep one too.
        readIfPresent(files, BundleFiles.ENDPOINTS_FILE, siteFile.resolveSibling(BundleFiles.ENDPOINTS_FILE));
        if (Files.isDirectory(secretsDir)) {
            // Kubernetes mounts Secrets through "..data" symlinks: skip the dot entries and
            // read the visible files, which follow the links.
            try (Stream<Path> dirs = Files.list(secretsDir)) {
                for (Path dir : dirs.filter(d -> !d.getFileName().toString().startsWith("."))
                        .filter(Files::isDirectory).toList()) {
                    String secretName = dir.getFileName().toString();
                    readIfPresent(files, BundleFiles.certificateKey(secretName), dir.resolve(SecretStore.CERTIFICATE));
                    readIfPresent(files, BundleFiles.privateKeyKey(secretName), dir.resolve(SecretStore.PRIVATE_KEY));
                    readIfPresent(files, BundleFiles.htpasswdKey(secretName), dir.resolve(SecretStore.HTPASSWD));
                }
            }
        }
        return files;
    }

    private static void readIfPresent(SortedMap<String, String> files, String key, Path file) throws IOException {
        if (Files.isRegularFile(file)) {
            files.put(key, read(file));
        }
    }

    private long revision() throws IOException {
        if (revisionFile == null) {
            return SiteConfig.NO_REVISION;
        }
        String text = read(revisionFile).strip();
        try {
            long revision = Long.parseLong(text);
            if (revision >= 0) {
                return revision;
            }
        } catch (NumberFormatException e) {
            // refused below, with the file's name
        }
        throw new IllegalArgumentException("--revision-file " + revisionFile + ": must hold a non-negative "
                + "decimal number, not '" + (text.length() > 40 ? text.substring(0, 40) + "…" : text) + "'");
    }

    private static String read(Path file) throws IOException {
        return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
    }
}
