package dev.portico.crds.validation;

/** RFC 7230 header syntax, so that a config can never make the proxy emit a broken message. */
final class HttpSyntax {

    private static final String TOKEN_SYMBOLS = "!#$%&'*+-.^_`|~";

    static final String TOKEN_HINT = "must be a header name (letters, digits and " + TOKEN_SYMBOLS + ")";
    static final String VALUE_HINT = "must not contain CR, LF or NUL";

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

    /** CR and LF would split the header (response splitting); NUL is refused by most peers. */
    static boolean isSafeValue(String text) {
        return text.indexOf('\r') < 0 && text.indexOf('\n') < 0 && text.indexOf('\0') < 0;
    }
}
