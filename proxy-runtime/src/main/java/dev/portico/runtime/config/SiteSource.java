package dev.portico.runtime.config;

import dev.portico.crds.ProxySiteLoader;
import dev.portico.crds.v1alpha1.ProxySite;
import dev.portico.runtime.policy.RateLimiters;
import dev.portico.runtime.tls.TlsCompiler;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * The files a site is made of: the ProxySite file and the secrets directory (one folder
 * per TLS secret holding {@code tls.crt} and {@code tls.key}, the layout of a mounted
 * {@code kubernetes.io/tls} Secret).
 */
public final class SiteSource {

    private static final List<String> SECRET_FILES = List.of("tls.crt", "tls.key");

    private final Path siteFile;
    private final Path secretsDir;
    private final TlsCompiler tls;
    private final RateLimiters limiters = new RateLimiters();

    public SiteSource(Path siteFile, Path secretsDir) {
        this.siteFile = siteFile;
        this.secretsDir = secretsDir;
        this.tls = new TlsCompiler(secretsDir);
    }

    public Path siteFile() {
        return siteFile;
    }

    /** The raw inputs and their hash; cheap enough to take twice a second. */
    public record Snapshot(String yaml, String hash) {}

    public Snapshot snapshot() throws IOException {
        byte[] site = Files.readAllBytes(siteFile);
        MessageDigest digest = sha256();
        digest.update(site);
        if (Files.isDirectory(secretsDir)) {
            // Kubernetes mounts Secrets through "..data" symlinks: skip the dot entries and
            // read the visible files, which follow the links.
            try (Stream<Path> dirs = Files.list(secretsDir)) {
                for (Path dir : dirs.filter(d -> !d.getFileName().toString().startsWith("."))
                        .filter(Files::isDirectory).sorted().toList()) {
                    for (String name : SECRET_FILES) {
                        Path file = dir.resolve(name);
                        if (Files.isRegularFile(file)) {
                            digest.update((dir.getFileName() + "/" + name).getBytes(StandardCharsets.UTF_8));
                            digest.update(Files.readAllBytes(file));
                        }
                    }
                }
            }
        }
        return new Snapshot(new String(site, StandardCharsets.UTF_8), "sha256:" + HexFormat.of().formatHex(digest.digest()));
    }

    /**
     * Parses, validates and compiles a snapshot, certificates included; throws
     * {@code InvalidProxySiteException} when the site or one of its secrets is invalid.
     */
    public SiteConfig compile(Snapshot snapshot) {
        ProxySite site = ProxySiteLoader.load(snapshot.yaml());
        return SiteCompiler.compile(site, snapshot.hash(), tls, limiters);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
