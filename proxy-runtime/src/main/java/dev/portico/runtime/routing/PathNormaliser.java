package dev.portico.runtime.routing;

import java.util.ArrayList;
import java.util.List;

/**
 * Brings a request path into one canonical form before anything looks at it, so that routes, the
 * ACME exemption, rewrites and the backend all see the same path (issue 16). Without it
 * {@code /%69nternal/x}, {@code /a/../internal/x} and {@code //internal/x} pass a route that
 * blocks {@code /internal/} and reach a backend that reads them as {@code /internal/x}.
 *
 * <p>The steps, in this order:
 * <ol>
 *   <li>Percent-escapes of unreserved characters (ALPHA, DIGIT, {@code -._~}) are decoded, all
 *       others are kept with upper-case hex (RFC 3986 sections 6.2.2.1 and 6.2.2.2). Decoding
 *       happens once: {@code %252e} stays {@code %252e}. Escapes of bytes above 0x7F (UTF-8) stay
 *       escaped.
 *   <li>{@code .} and {@code ..} segments, also written {@code %2e}, are removed (section 5.2.4,
 *       {@code remove_dot_segments}); {@code ..} above the root stays at the root.
 *   <li>Repeated slashes are merged (nginx's {@code merge_slashes}, Envoy's). A trailing slash
 *       is kept: {@code /a/} and {@code /a} stay different paths.
 * </ol>
 * Refused: a path not starting with {@code /}, an invalid escape ({@code %} not followed by two
 * hex digits), {@code %00}, a raw {@code \} (not allowed in a URI; Windows backends and some
 * frameworks take it for {@code /}), a raw {@code #} (request targets have no fragment, RFC 9112
 * section 3.2; a backend that strips one would see {@code /internal} in {@code /internal#/x}),
 * control characters, and, unless the site keeps them,
 * {@code %2F} and {@code %5C}. Kept ones stay encoded and are part of their segment, never a
 * separator. The query is not this class's business: callers pass the path without it.
 */
public final class PathNormaliser {

    /** Why a path was refused; the request gets 400. */
    public enum Rejection {
        NOT_ABSOLUTE,
        INVALID_ESCAPE,
        ENCODED_NUL,
        ENCODED_SLASH,
        ENCODED_BACKSLASH,
        BACKSLASH,
        FRAGMENT,
        CONTROL_CHARACTER
    }

    /** The outcome: a normalised path, or the reason it was refused. */
    public sealed interface Result permits Normalised, Rejected {}

    public record Normalised(String path) implements Result {}

    public record Rejected(Rejection reason) implements Result {}

    /** {@code spec.paths.escapedSlashes: Reject}, the default. */
    public static final PathNormaliser REJECT_ESCAPED_SLASHES = new PathNormaliser(false);
    /** {@code spec.paths.escapedSlashes: Keep}. */
    public static final PathNormaliser KEEP_ESCAPED_SLASHES = new PathNormaliser(true);

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();
    private static final Rejected NOT_ABSOLUTE = new Rejected(Rejection.NOT_ABSOLUTE);
    private static final Rejected INVALID_ESCAPE = new Rejected(Rejection.INVALID_ESCAPE);
    private static final Rejected ENCODED_NUL = new Rejected(Rejection.ENCODED_NUL);
    private static final Rejected ENCODED_SLASH = new Rejected(Rejection.ENCODED_SLASH);
    private static final Rejected ENCODED_BACKSLASH = new Rejected(Rejection.ENCODED_BACKSLASH);
    private static final Rejected BACKSLASH = new Rejected(Rejection.BACKSLASH);
    private static final Rejected FRAGMENT = new Rejected(Rejection.FRAGMENT);
    private static final Rejected CONTROL_CHARACTER = new Rejected(Rejection.CONTROL_CHARACTER);

    private final boolean keepEscapedSlashes;

    private PathNormaliser(boolean keepEscapedSlashes) {
        this.keepEscapedSlashes = keepEscapedSlashes;
    }

    public boolean keepsEscapedSlashes() {
        return keepEscapedSlashes;
    }

    /** Normalises {@code path} (the request path without its query). */
    public Result normalise(String path) {
        if (path.isEmpty() || path.charAt(0) != '/') {
            return NOT_ABSOLUTE;
        }
        boolean canonical = true;
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c <= ' ' || c == 0x7F) {
                return CONTROL_CHARACTER;
            }
            if (c == '\\') {
                return BACKSLASH;
            }
            if (c == '#') {
                return FRAGMENT;
            }
            if (c == '%' || c == '/' && startsEmptyOrDotSegment(path, i + 1)) {
                canonical = false;
            }
        }
        if (canonical) {
            return new Normalised(path); // the common case: nothing to decode, no dot or empty segment
        }
        StringBuilder decoded = new StringBuilder(path.length());
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c != '%') {
                decoded.append(c);
                continue;
            }
            int high = i + 2 < path.length() ? hexValue(path.charAt(i + 1)) : -1;
            int low = high < 0 ? -1 : hexValue(path.charAt(i + 2));
            if (low < 0) {
                return INVALID_ESCAPE;
            }
            int b = high << 4 | low;
            i += 2;
            if (isUnreserved(b)) {
                decoded.append((char) b);
            } else if (b == 0) {
                return ENCODED_NUL;
            } else if (b == '/' && !keepEscapedSlashes) {
                return ENCODED_SLASH;
            } else if (b == '\\' && !keepEscapedSlashes) {
                return ENCODED_BACKSLASH;
            } else {
                decoded.append('%').append(HEX[b >> 4]).append(HEX[b & 0xF]);
            }
        }
        return new Normalised(resolveSegments(decoded));
    }

    /**
     * Whether the segment starting at {@code start} is empty ({@code //}) or {@code .} or {@code ..};
     * {@code %2e} forms are caught by the escape in them.
     */
    private static boolean startsEmptyOrDotSegment(String path, int start) {
        int end = path.indexOf('/', start);
        int length = (end < 0 ? path.length() : end) - start;
        if (length == 0) {
            return end >= 0; // "//" somewhere; a final "/" is a trailing slash, kept
        }
        return length <= 2 && path.charAt(start) == '.' && (length == 1 || path.charAt(start + 1) == '.');
    }

    /** RFC 3986 remove_dot_segments on a path without dot escapes left, merging empty segments. */
    private static String resolveSegments(CharSequence decoded) {
        List<String> segments = new ArrayList<>();
        boolean trailingSlash = false;
        int start = 1;
        while (start <= decoded.length()) {
            int end = indexOf(decoded, '/', start);
            boolean last = end < 0;
            String segment = decoded.subSequence(start, last ? decoded.length() : end).toString();
            if (segment.equals("..")) {
                if (!segments.isEmpty()) {
                    segments.remove(segments.size() - 1);
                }
                trailingSlash = last;
            } else if (segment.equals(".") || segment.isEmpty()) {
                trailingSlash = last;
            } else {
                segments.add(segment);
                trailingSlash = false;
            }
            if (last) {
                break;
            }
            start = end + 1;
        }
        if (segments.isEmpty()) {
            return "/";
        }
        StringBuilder out = new StringBuilder(decoded.length());
        for (String segment : segments) {
            out.append('/').append(segment);
        }
        return trailingSlash ? out.append('/').toString() : out.toString();
    }

    private static int indexOf(CharSequence text, char c, int from) {
        for (int i = from; i < text.length(); i++) {
            if (text.charAt(i) == c) {
                return i;
            }
        }
        return -1;
    }

    /** Not Character.digit, which also takes non-ASCII digits. */
    private static int hexValue(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    }

    /** RFC 3986 section 2.3. */
    private static boolean isUnreserved(int b) {
        return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
                || b == '-' || b == '.' || b == '_' || b == '~';
    }
}
