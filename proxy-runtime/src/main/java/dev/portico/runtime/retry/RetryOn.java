package dev.portico.runtime.retry;

/** Why a try failed, in the words of a route's {@code retries.retryOn}. */
public enum RetryOn {
    CONNECT_FAILURE("connect-failure"),
    RESET("reset"),
    STATUS_502("502"),
    STATUS_503("503"),
    STATUS_504("504");

    private final String word;

    RetryOn(String word) {
        this.word = word;
    }

    /** As the API and the metrics' {@code on} label write it. */
    public String word() {
        return word;
    }

    public static RetryOn of(String word) {
        for (RetryOn on : values()) {
            if (on.word.equals(word)) {
                return on;
            }
        }
        throw new IllegalArgumentException("not a retry condition: " + word);
    }

    /** The condition of a backend's response status, or null for one that is never retried. */
    public static RetryOn ofStatus(int status) {
        return switch (status) {
            case 502 -> STATUS_502;
            case 503 -> STATUS_503;
            case 504 -> STATUS_504;
            default -> null;
        };
    }
}
