package dev.portico.runtime.routing;

import java.util.regex.Pattern;

/**
 * Compares a route's path with the request path as {@link PathNormaliser} made it (without the
 * query): the only path there is, the one that also goes upstream.
 * Prefixes match whole segments, as in Gateway API: {@code /api} and {@code /api/} both
 * match {@code /api} and {@code /api/x}, never {@code /apix}.
 */
public sealed interface PathMatcher {

    boolean matches(String path);

    static PathMatcher exact(String value) {
        return new Exact(value);
    }

    static PathMatcher prefix(String value) {
        String prefix = value.length() > 1 && value.endsWith("/") ? value.substring(0, value.length() - 1) : value;
        return new Prefix(prefix);
    }

    /** Regular expressions must match the whole path, as Gateway API implementations do. */
    static PathMatcher regex(String value) {
        return new Regex(Pattern.compile(value));
    }

    record Exact(String value) implements PathMatcher {
        @Override
        public boolean matches(String path) {
            return value.equals(path);
        }
    }

    record Prefix(String value) implements PathMatcher {
        @Override
        public boolean matches(String path) {
            if (value.equals("/")) {
                return true;
            }
            return path.startsWith(value) && (path.length() == value.length() || path.charAt(value.length()) == '/');
        }

        /** The prefix length orders PathPrefix routes: the longest wins. */
        public int length() {
            return value.length();
        }

        /** Rewrites {@code path} by replacing the matched prefix, without doubling slashes. */
        public String replace(String path, String replacement) {
            String rest = value.equals("/") ? path.substring(1) : path.substring(value.length());
            if (rest.isEmpty()) {
                return replacement;
            }
            if (rest.charAt(0) != '/') {
                rest = "/" + rest;
            }
            return replacement.endsWith("/") ? replacement + rest.substring(1) : replacement + rest;
        }
    }

    record Regex(Pattern pattern) implements PathMatcher {
        @Override
        public boolean matches(String path) {
            return pattern.matcher(path).matches();
        }
    }
}
