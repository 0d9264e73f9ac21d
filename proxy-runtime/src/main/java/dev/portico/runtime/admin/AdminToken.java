package dev.portico.runtime.admin;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bearer token {@code PUT /config} requires: the content of {@code --admin-token-file},
 * trimmed. The file is read for every push, so a rotated token (a rewritten mounted
 * Secret) is in force at once; pushes are rare enough for that to cost nothing.
 */
final class AdminToken {

    private static final Logger LOG = LoggerFactory.getLogger(AdminToken.class);
    private static final String BEARER = "Bearer ";

    private final Path file;
    /** The last reason the file could not serve, so a broken file is logged once, not per request. */
    private volatile String lastProblem;

    AdminToken(Path file) {
        this.file = Objects.requireNonNull(file);
    }

    /** Whether an {@code Authorization} header value (null when absent) bears the token. */
    boolean admits(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return false;
        }
        String presented = authorization.substring(BEARER.length()).strip();
        String expected = expected();
        if (expected == null || presented.isEmpty()) {
            return false;
        }
        // Comparing digests takes the same time whatever the lengths and the first differing byte.
        return MessageDigest.isEqual(sha256(presented), sha256(expected));
    }

    /**
     * Refuses a token file that would admit nobody, naming the flag: at start, a typo in the
     * path should stop the runtime rather than show up later as refused pushes.
     */
    void requireUsable() {
        Read read = read();
        if (read.problem() != null) {
            throw new IllegalArgumentException(read.problem());
        }
    }

    private String expected() {
        Read read = read();
        if (read.problem() != null) {
            problem(read.problem() + ": every push is refused");
            return null;
        }
        lastProblem = null;
        return read.token();
    }

    private record Read(String token, String problem) {}

    private Read read() {
        String token;
        try {
            token = Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (NoSuchFileException e) {
            return new Read(null, "--admin-token-file " + file + ": no such file");
        } catch (IOException e) {
            return new Read(null, "--admin-token-file " + file + ": cannot be read (" + e + ")");
        }
        return token.isEmpty() ? new Read(null, "--admin-token-file " + file + ": is empty") : new Read(token, null);
    }

    private void problem(String message) {
        if (!message.equals(lastProblem)) {
            lastProblem = message;
            LOG.error(message);
        }
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
