package dev.portico.runtime.auth;

import at.favre.lib.crypto.bcrypt.BCrypt;
import at.favre.lib.crypto.bcrypt.LongPasswordStrategies;
import dev.portico.crds.validation.Htpasswd;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code auth.basic} of a route, compiled: the realm, the users of the Secret's htpasswd lines, and the credentials
 * verified recently.
 *
 * <p>{@link #check} is the pure, cheap part the admission stage runs on the event loop: it parses the Authorization
 * header and looks the credentials up among those verified in the last {@link #VERIFIED_FOR}, keyed by a SHA-256 of
 * {@code user:password} (the password itself is not kept). A browser sends the same credentials with every request,
 * so only its first one pays for bcrypt. {@link #verify} is the expensive part (tens of milliseconds at cost 10):
 * it runs on {@link PasswordVerifier}'s threads, never on an event loop. Each compiled config has its own cache, so
 * a changed Secret is checked afresh.
 */
public final class BasicAuthPolicy implements RouteAuth {

    /** How long a verified user:password is trusted without bcrypt. */
    static final Duration VERIFIED_FOR = Duration.ofMinutes(2);
    /** Distinct credentials remembered; beyond, the least used are forgotten (and cost a bcrypt again). */
    static final int MAX_VERIFIED = 10_000;
    private static final String SCHEME = "basic ";
    /** One dummy hash per cost, made once: an unknown user costs what a known one does. */
    private static final ConcurrentHashMap<Integer, byte[]> DUMMIES = new ConcurrentHashMap<>();
    private static final BCrypt.Verifyer VERIFYER = BCrypt.verifyer(BCrypt.Version.VERSION_2Y,
            LongPasswordStrategies.truncate(BCrypt.Version.VERSION_2Y)); // htpasswd and OpenBSD use the first 72 bytes

    private final String challenge;
    private final Htpasswd users;
    private final byte[] dummy;
    private final Cache<Digest, Boolean> verified = Caffeine.newBuilder()
            .maximumSize(MAX_VERIFIED)
            .expireAfterWrite(VERIFIED_FOR)
            .build();

    public BasicAuthPolicy(String realm, Htpasswd users) {
        this.challenge = "Basic realm=\"" + realm + "\", charset=\"UTF-8\"";
        this.users = users;
        this.dummy = DUMMIES.computeIfAbsent(users.maxCost(),
                cost -> BCrypt.withDefaults().hash(cost, "portico-dummy".getBytes(StandardCharsets.UTF_8)));
    }

    /** The WWW-Authenticate value of a 401 (RFC 7617). */
    public String challenge() {
        return challenge;
    }

    /** What the Authorization header says, decided without bcrypt. */
    public sealed interface Check {}

    /** No Basic credentials: the client is asked for them (not a failed attempt: browsers start so). */
    public enum Missing implements Check { MISSING }

    /** Credentials that cannot be right whatever the users (bad base64, no colon): a failed attempt. */
    public enum Malformed implements Check { MALFORMED }

    /** Verified recently: through. */
    public enum Granted implements Check { GRANTED }

    /** Credentials to verify with bcrypt, off the event loop. */
    public record Verify(String user, byte[] password, Digest digest) implements Check {}

    /** The verification's key: a SHA-256 of user:password, so the cache holds no password. */
    public record Digest(String hex) {}

    public Check check(String authorization) {
        if (authorization == null || authorization.length() < SCHEME.length()
                || !authorization.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
            return Missing.MISSING;
        }
        byte[] decoded;
        try {
            decoded = Base64.getDecoder().decode(authorization.substring(SCHEME.length()).strip());
        } catch (IllegalArgumentException e) {
            return Malformed.MALFORMED;
        }
        String credentials = new String(decoded, StandardCharsets.UTF_8);
        int colon = credentials.indexOf(':');
        if (colon < 0) {
            return Malformed.MALFORMED;
        }
        Digest digest = digest(decoded);
        if (verified.getIfPresent(digest) != null) {
            return Granted.GRANTED;
        }
        return new Verify(credentials.substring(0, colon),
                credentials.substring(colon + 1).getBytes(StandardCharsets.UTF_8), digest);
    }

    /**
     * bcrypt: blocking and expensive, for {@link PasswordVerifier}'s threads. An unknown user is checked against a
     * dummy hash of the same cost, so the time taken does not tell which users exist.
     */
    public boolean verify(Verify credentials) {
        byte[] hash = users.hashOf(credentials.user());
        boolean matches = VERIFYER.verify(credentials.password(), hash == null ? dummy : hash).verified;
        boolean granted = matches && hash != null;
        if (granted) {
            verified.put(credentials.digest(), Boolean.TRUE);
        }
        return granted;
    }

    private static Digest digest(byte[] userColonPassword) {
        try {
            return new Digest(HexFormat.of().formatHex(
                    MessageDigest.getInstance("SHA-256").digest(userColonPassword)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
