package dev.portico.runtime.tls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Where the PEM files of TLS secrets come from: a mounted secrets directory, or a config
 * bundle held in memory (a push, or a snapshot of the mounted files that was hashed).
 */
@FunctionalInterface
public interface SecretStore {

    String CERTIFICATE = "tls.crt";
    String PRIVATE_KEY = "tls.key";
    /** The htpasswd lines of a basic-auth Secret: the key ingress-nginx's basic-auth Secrets use too. */
    String HTPASSWD = "auth";

    /**
     * The bytes of {@code file} ({@link #CERTIFICATE} or {@link #PRIVATE_KEY}) of secret {@code secretName}.
     *
     * @throws NoSuchFileException naming where the file was looked for
     */
    byte[] read(String secretName, String file) throws IOException;

    /** One folder per secret holding {@code tls.crt} and {@code tls.key}: mounted {@code kubernetes.io/tls} Secrets. */
    static SecretStore directory(Path secretsDir) {
        return (secretName, file) -> Files.readAllBytes(secretsDir.resolve(secretName).resolve(file));
    }
}
