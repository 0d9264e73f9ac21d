package dev.portico.crds.validation;

/** RFC 7230 header syntax, so that a config can never make the proxy emit a broken message. */
final class HttpSyntax {

    private static final String TOKEN_SYMBOLS = "!#$%&'*+-.^_`|~";

    static final String TOKEN_HINT = "must be a header name (letters, digits and " + TOKEN_SYMBOLS + ")";
    static final String VALUE_HINT = "must not contain CR, LF or NUL, nor any other control character but tab, nor start with a space or tab";

    private HttpSyntax() {}

    static boolean isToken(String text) {
        if (text.isEmpty()) {
            return false;
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean alphaNumeric = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
            if (!alphaNumeric && TOKEN_SYMBOLS.indexOf(c) < 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * CR and LF would split the header (response splitting); NUL is refused by most peers;
     * Netty refuses every control character but HTAB (RFC 9110 field-value), so a value with
     * one would fail each request it is set on. It refuses leading whitespace for the same reason.
     */
    static boolean isSafeValue(String text) {
        if (!text.isEmpty() && (text.charAt(0) == ' ' || text.charAt(0) == '\t')) {
            return false;
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                return false;
            }
        }
        return true;
    }
}
