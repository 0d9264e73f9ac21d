package dev.portico.runtime.config;

import dev.portico.crds.bundle.BundleFiles;
import dev.portico.runtime.tls.SecretStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The TLS PEMs of a bundle held in memory, under its flat keys ({@code <name>.tls.crt},
 * {@code <name>.tls.key}).
 *
 * @param whereMissing names a missing key the way the user knows it: a push's field or a mounted file's path
 */
record BundleSecrets(Map<String, String> files, UnaryOperator<String> whereMissing) implements SecretStore {

    @Override
    public byte[] read(String secretName, String file) throws NoSuchFileException {
        String key = switch (file) {
            case CERTIFICATE -> BundleFiles.certificateKey(secretName);
            case PRIVATE_KEY -> BundleFiles.privateKeyKey(secretName);
            case HTPASSWD -> BundleFiles.htpasswdKey(secretName);
            default -> throw new IllegalArgumentException("a bundle secret has no " + file);
        };
        String content = files.get(key);
        if (content == null) {
            throw new NoSuchFileException(whereMissing.apply(key));
        }
        return content.getBytes(StandardCharsets.UTF_8);
    }
}
