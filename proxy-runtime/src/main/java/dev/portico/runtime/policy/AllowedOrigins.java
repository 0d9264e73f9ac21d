package dev.portico.runtime.policy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code cors.allowOrigins} ready to match an Origin header: {@code *}, exact origins, and {@code scheme://*.domain}
 * patterns that take any sub-domain at any depth. Scheme and host compare case-insensitively; the port exactly,
 * a scheme's default port written out in the config being the same as none (browsers never send it).
 */
final class AllowedOrigins {

    private final boolean any;
    private final Set<String> exact;
    private final List<Wildcard> wildcards;

    /** {@code scheme://*.example.com:8443} as {@code prefix} {@code scheme://} and {@code suffix} {@code .example.com:8443}. */
    private record Wildcard(String prefix, String suffix) {

        boolean matches(String origin) {
            if (origin.length() <= prefix.length() + suffix.length()
                    || !origin.startsWith(prefix) || !origin.endsWith(suffix)) {
                return false;
            }
            // What the * stands for: one or more DNS labels, so neither a port, a userinfo nor a path.
            int end = origin.length() - suffix.length();
            if (origin.charAt(prefix.length()) == '.' || origin.charAt(end - 1) == '.') {
                return false;
            }
            for (int i = prefix.length(); i < end; i++) {
                char c = origin.charAt(i);
                if (!(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.')) {
                    return false;
                }
            }
            return true;
        }
    }

    AllowedOrigins(List<String> origins) {
        boolean anyOrigin = false;
        Set<String> exactOrigins = new HashSet<>();
        List<Wildcard> patterns = new ArrayList<>();
        for (String written : origins) {
            String origin = withoutDefaultPort(written.toLowerCase(Locale.ROOT));
            int star = origin.indexOf("://*.");
            if (origin.equals("*")) {
                anyOrigin = true;
            } else if (star > 0) {
                patterns.add(new Wildcard(origin.substring(0, star + 3), origin.substring(star + 4)));
            } else {
                exactOrigins.add(origin);
            }
        }
        this.any = anyOrigin;
        this.exact = Set.copyOf(exactOrigins);
        this.wildcards = List.copyOf(patterns);
    }

    /** Whether {@code origin}, an Origin header's value, may read responses. */
    boolean allows(String origin) {
        if (any) {
            return true;
        }
        String lower = origin.toLowerCase(Locale.ROOT);
        if (exact.contains(lower)) {
            return true;
        }
        for (Wildcard wildcard : wildcards) {
            if (wildcard.matches(lower)) {
                return true;
            }
        }
        return false;
    }

    private static String withoutDefaultPort(String origin) {
        if (origin.startsWith("https://") && origin.endsWith(":443")
                || origin.startsWith("http://") && origin.endsWith(":80")) {
            return origin.substring(0, origin.lastIndexOf(':'));
        }
        return origin;
    }
}
