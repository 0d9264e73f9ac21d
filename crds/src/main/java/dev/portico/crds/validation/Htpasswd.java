package dev.portico.crds.validation;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The users of an htpasswd file: one {@code user:hash} per line, bcrypt hashes only ({@code $2y$}, {@code $2a$},
 * {@code $2b$}, what {@code htpasswd -B} writes). MD5-crypt ({@code $apr1$}), SHA-1 ({@code {SHA}}), crypt(3) and
 * plain text are refused: they are cheap to brute-force, and a file that mixes schemes would leave some users weakly
 * protected without anyone noticing. Shared by the operator (which checks a Secret before it goes into a bundle, and
 * says which line is wrong in the status) and the runtime (which serves it).
 */
public final class Htpasswd {

    /** The modular-crypt form of a bcrypt hash: $2?$cost$ then 53 characters of salt and digest. */
    private static final Pattern BCRYPT = Pattern.compile("^\\$2[aby]\\$(\\d\\d)\\$[./A-Za-z0-9]{53}$");

    private final Map<String, byte[]> hashes;
    private final int maxCost;

    private Htpasswd(Map<String, byte[]> hashes, int maxCost) {
        this.hashes = hashes;
        this.maxCost = maxCost;
    }

    /**
     * @param source names the file in errors (e.g. {@code secret "admins" key "auth"})
     * @throws IllegalArgumentException naming the line and what is wrong with it
     */
    public static Htpasswd parse(String text, String source) {
        Map<String, byte[]> hashes = new HashMap<>();
        int maxCost = 4;
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String where = source + " line " + (i + 1);
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException(where + ": not user:hash");
            }
            String user = line.substring(0, colon);
            String hash = line.substring(colon + 1);
            var matcher = BCRYPT.matcher(hash);
            if (!matcher.matches()) {
                throw new IllegalArgumentException(where + " (user \"" + user + "\"): " + scheme(hash)
                        + "; only bcrypt hashes ($2y$, $2a$, $2b$) are accepted: make them with htpasswd -B");
            }
            int cost = Integer.parseInt(matcher.group(1));
            if (cost < 4 || cost > 31) {
                throw new IllegalArgumentException(where + " (user \"" + user + "\"): bcrypt cost " + cost
                        + " is outside 4..31");
            }
            if (hashes.put(user, hash.getBytes(StandardCharsets.US_ASCII)) != null) {
                throw new IllegalArgumentException(where + ": user \"" + user + "\" appears twice");
            }
            maxCost = Math.max(maxCost, cost);
        }
        if (hashes.isEmpty()) {
            throw new IllegalArgumentException(source + ": no user:hash lines");
        }
        return new Htpasswd(Map.copyOf(hashes), maxCost);
    }

    private static String scheme(String hash) {
        if (hash.startsWith("$apr1$")) {
            return "an MD5 ($apr1$) hash";
        }
        if (hash.startsWith("{SHA}")) {
            return "a SHA-1 ({SHA}) hash";
        }
        if (hash.startsWith("$1$") || hash.startsWith("$5$") || hash.startsWith("$6$")) {
            return "a crypt(3) " + hash.substring(0, 3) + " hash";
        }
        if (hash.startsWith("$2")) {
            return "a malformed bcrypt hash";
        }
        return "not a bcrypt hash (crypt(3) DES or plain text?)";
    }

    /** The user's hash, or null for an unknown user. */
    public byte[] hashOf(String user) {
        return hashes.get(user);
    }

    /** The highest cost among the hashes: an unknown user's dummy check costs as much as a real one. */
    public int maxCost() {
        return maxCost;
    }

    public int size() {
        return hashes.size();
    }
}
