package dev.portico.runtime.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Writes ProxySite YAML for the runtime's {@code --site} flag. */
public final class SiteFiles {

    private SiteFiles() {
    }

    /** Writes {@code yaml} to a new file in {@code dir} and returns its path. */
    public static Path write(Path dir, String yaml) {
        try {
            Path file = Files.createTempFile(dir, "site-", ".yaml");
            Files.writeString(file, yaml, StandardCharsets.UTF_8);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Replaces the content of {@code file} atomically (write aside, then rename over it), so a runtime watching the
     * file for reloads never reads a half-written site.
     */
    public static Path overwrite(Path file, String yaml) {
        try {
            Path staged = Files.createTempFile(file.toAbsolutePath().getParent(), ".staged-", ".yaml");
            Files.writeString(staged, yaml, StandardCharsets.UTF_8);
            return Files.move(staged, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
