package dev.portico.runtime.routing;

import java.util.Locale;

/**
 * One entry of {@code spec.hosts} or {@code match.hosts}: an exact name, {@code *.suffix}
 * (exactly one label), or {@code *} (anything, IP literals included).
 */
public record HostPattern(String text, Kind kind, String suffix) {

    /** Ordered by precedence: an exact host beats a wildcard, which beats {@code *}. */
    public enum Kind { EXACT, WILDCARD, ANY }

    public static HostPattern parse(String text) {
        String pattern = text.toLowerCase(Locale.ROOT);
        if (pattern.equals("*")) {
            return new HostPattern(pattern, Kind.ANY, "");
        }
        if (pattern.startsWith("*.")) {
            return new HostPattern(pattern, Kind.WILDCARD, pattern.substring(1));
        }
        return new HostPattern(pattern, Kind.EXACT, "");
    }

    /** {@code host} must already be normalised by {@link HostNames#normalise}. */
    public boolean matches(String host) {
        return switch (kind) {
            case ANY -> true;
            case EXACT -> text.equals(host);
            // ".example.com" must be preceded by exactly one non-empty label.
            case WILDCARD -> host.endsWith(suffix)
                    && host.length() > suffix.length()
                    && host.lastIndexOf('.', host.length() - suffix.length() - 1) < 0;
        };
    }
}
