package dev.portico.operator.acme;

import java.time.Instant;
import org.shredzone.acme4j.Problem;
import org.shredzone.acme4j.exception.AcmeException;
import org.shredzone.acme4j.exception.AcmeNetworkException;
import org.shredzone.acme4j.exception.AcmeRateLimitedException;
import org.shredzone.acme4j.exception.AcmeServerException;

/**
 * Why an order did not end in a certificate, in the CA's words where it gave some: {@code reason}
 * is the status condition's and the Event's reason, {@code message} what the CA answered.
 *
 * @param retryAfter the CA's Retry-After, or null
 */
public final class AcmeFailure extends Exception {

    public static final String RATE_LIMITED = "RateLimited";
    public static final String CA_REFUSED = "CARefused";
    public static final String CA_UNREACHABLE = "CAUnreachable";
    public static final String VALIDATION_FAILED = "ValidationFailed";
    public static final String PODS_NOT_SERVING = "ChallengeNotServed";

    private final String reason;
    private final transient Instant retryAfter;

    public AcmeFailure(String reason, String message, Instant retryAfter) {
        super(message);
        this.reason = reason;
        this.retryAfter = retryAfter;
    }

    public String reason() {
        return reason;
    }

    public Instant retryAfter() {
        return retryAfter;
    }

    /** What acme4j reported, as a failure that says what the CA answered. */
    static AcmeFailure of(String doing, AcmeException e) {
        if (e instanceof AcmeRateLimitedException limited) {
            return new AcmeFailure(RATE_LIMITED, doing + ": the CA's rate limit: " + describe(limited.getProblem()),
                    limited.getRetryAfter().orElse(null));
        }
        if (e instanceof AcmeServerException server) {
            return new AcmeFailure(CA_REFUSED, doing + ": the CA answered " + describe(server.getProblem()), null);
        }
        if (e instanceof AcmeNetworkException) {
            return new AcmeFailure(CA_UNREACHABLE, doing + ": cannot reach the CA (" + rootMessage(e) + ")", null);
        }
        return new AcmeFailure(CA_REFUSED, doing + ": " + rootMessage(e), null);
    }

    /** "urn:ietf:params:acme:error:rateLimited: too many certificates (5) already issued ..." */
    static String describe(Problem problem) {
        if (problem == null) {
            return "an error without details";
        }
        StringBuilder text = new StringBuilder(problem.getType().toString());
        problem.getDetail().or(problem::getTitle).ifPresent(d -> text.append(": ").append(d));
        for (Problem sub : problem.getSubProblems()) {
            text.append("; ").append(sub.getIdentifier().map(i -> i.getValue() + ": ").orElse(""))
                    .append(sub.getDetail().orElse(sub.getType().toString()));
        }
        return text.toString();
    }

    /** The first cause below acme4j's own wrapping: what the network or TLS stack said. */
    private static String rootMessage(Throwable e) {
        Throwable cause = e;
        while (cause instanceof AcmeException && cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        String message = cause.getMessage();
        return cause.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }
}
