package dev.portico.runtime.testing;

import dev.portico.crds.bundle.BundleFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * A config bundle Secret as the kubelet mounts it with the operator's volume items:
 * {@code site.yaml}, {@code revision}, {@code acme-http-01} and {@code secrets/<name>/tls.crt|tls.key}, each a
 * link through {@code ..data} to a {@code ..<n>} folder, so that {@link #update} swaps the
 * whole bundle with one rename, as the kubelet's atomic writer does.
 */
public final class MountedBundle {

    private static final AtomicLong GENERATION = new AtomicLong();
    private static final List<String> TOP_LEVEL = List.of(BundleFiles.SITE_FILE, BundleFiles.REVISION_FILE, "secrets",
            BundleFiles.ACME_CHALLENGES_FILE, BundleFiles.ENDPOINTS_FILE);

    private final Path dir;

    private MountedBundle(Path dir) {
        this.dir = dir;
    }

    /** Mounts {@code files} (bundle keys to content) at {@code revision} in {@code dir}. */
    public static MountedBundle mount(Path dir, Map<String, String> files, long revision) {
        MountedBundle bundle = new MountedBundle(dir);
        bundle.update(files, revision);
        return bundle;
    }

    public Path siteFile() {
        return dir.resolve(BundleFiles.SITE_FILE);
    }

    public Path revisionFile() {
        return dir.resolve(BundleFiles.REVISION_FILE);
    }

    public Path secretsDir() {
        return dir.resolve("secrets");
    }

    /** Replaces the whole mounted bundle at once. */
    public void update(Map<String, String> files, long revision) {
        try {
            Files.createDirectories(dir);
            Path data = dir.resolve("..data");
            Path previous = Files.isSymbolicLink(data) ? dir.resolve(Files.readSymbolicLink(data)) : null;
            Path generation = Files.createDirectory(dir.resolve("..gen-" + GENERATION.incrementAndGet()));
            Files.writeString(generation.resolve(BundleFiles.REVISION_FILE), Long.toString(revision));
            for (Map.Entry<String, String> file : files.entrySet()) {
                Path target = generation.resolve(layout(file.getKey()));
                Files.createDirectories(target.getParent());
                Files.writeString(target, file.getValue(), StandardCharsets.UTF_8);
            }
            Files.createDirectories(generation.resolve("secrets"));
            Path staged = dir.resolve("..data_tmp");
            Files.deleteIfExists(staged);
            Files.createSymbolicLink(staged, generation.getFileName());
            Files.move(staged, data, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            for (String name : TOP_LEVEL) {
                Path link = dir.resolve(name);
                if (!Files.isSymbolicLink(link)) {
                    Files.createSymbolicLink(link, Path.of("..data", name));
                }
            }
            if (previous != null) {
                delete(previous);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Where the operator's volume items put a bundle key: the runtime's --site / --secrets-dir layout. */
    private static Path layout(String key) {
        if (key.equals(BundleFiles.SITE_FILE) || key.equals(BundleFiles.ACME_CHALLENGES_FILE)
                || key.equals(BundleFiles.ENDPOINTS_FILE)) {
            return Path.of(key);
        }
        String secret = BundleFiles.secretNameOf(key);
        if (secret == null) {
            throw new IllegalArgumentException("not a bundle key: " + key);
        }
        return Path.of("secrets", secret, key.endsWith(".crt") ? "tls.crt" : "tls.key");
    }

    private static void delete(Path tree) throws IOException {
        try (Stream<Path> paths = Files.walk(tree)) {
            for (Path path : paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
                Files.delete(path);
            }
        }
    }
}
