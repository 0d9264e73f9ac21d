package dev.portico.crds.v1alpha1;

/**
 * The regular expressions of the CRD schema, in one place so that the annotations on the
 * records and the tests that hold them to {@code Durations}, {@code Sizes} and the validator
 * read the same text. They are RE2 (the API server's dialect) and Java regex alike: no
 * look-around, no back-references. A pattern is the first line of defence only; the
 * validation in {@code dev.portico.crds.validation} is the full rule (e.g. it also refuses
 * a zero timeout or a CIDR prefix longer than the address).
 */
public final class SchemaPatterns {

    /** Go duration syntax limited to ms, s, m and h, as {@code Durations.parse} reads it. */
    public static final String DURATION = "^(0|((\\d+(\\.\\d*)?|\\.\\d+)(ms|h|m|s))+)$";

    /** A Kubernetes quantity, as {@code Sizes.parse} reads it. */
    public static final String SIZE =
            "^\\+?(\\d+(\\.\\d*)?|\\.\\d+)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E|[eE][+-]?\\d{1,3})?$";

    /** An entry of spec.hosts: a DNS name, the same with one leading {@code *.} label, or {@code *}. */
    public static final String SITE_HOST =
            "^(\\*|(\\*\\.)?[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?(\\.[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)*)$";

    /** A DNS name (any case, no trailing dot). */
    public static final String DNS_NAME =
            "^[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?(\\.[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)*$";

    /** The characters of a DNS name or an IPv4/IPv6 literal; the validator checks the rest. */
    public static final String HOST_OR_IP = "^[-a-zA-Z0-9.:]+$";

    /** A Secret name: an RFC 1123 subdomain, lowercase. */
    public static final String SECRET_NAME = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";

    /**
     * An e-mail address as ACME CAs accept one for an account contact: local part, '@', and a
     * domain with a dot. Deliberately plain: a CA refuses what it does not like anyway, with its
     * own message, which the status reports.
     */
    public static final String EMAIL = "^[^@\\s]+@[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?(\\.[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?)+$";

    /**
     * An IP address or CIDR whose prefix length fits its family (/0-32, /0-128); the validator
     * checks the rest (octets, groups).
     */
    public static final String CIDR = "^(([0-9]{1,3}\\.){3}[0-9]{1,3}(/(3[0-2]|[12]?[0-9]))?"
            + "|[0-9a-fA-F.]*:[0-9a-fA-F:.]*(/(12[0-8]|1[01][0-9]|[1-9]?[0-9]))?)$";

    /** An RFC 7230 token: a header name. */
    public static final String HEADER_NAME = "^[-!#$%&'*+.^_`|~0-9a-zA-Z]+$";

    /** An RFC 6265 cookie-name: a token, like a header name. */
    public static final String COOKIE_NAME = HEADER_NAME;

    /**
     * An entry of backend.addresses: an IPv4 address or a bracketed IPv6 address, each with an
     * optional port ({@code 10.0.0.5}, {@code 10.0.0.5:8080}, {@code [fd00::5]:8080}); the
     * validator checks the rest (octets, groups, port range).
     */
    public static final String ENDPOINT_ADDRESS = "^(([0-9]{1,3}\\.){3}[0-9]{1,3}|\\[[0-9a-fA-F:.]+\\])(:[0-9]{1,5})?$";

    /** A header value as Netty accepts it: no control character but tab, no leading whitespace. */
    public static final String HEADER_VALUE = "^(?:[^\\x00-\\x08\\x0A-\\x1F\\x7F\\t ][^\\x00-\\x08\\x0A-\\x1F\\x7F]*)?$";

    /**
     * An entry of cors.allowOrigins: {@code *}, or {@code scheme://host[:port]} whose host may start with
     * {@code *.} (or be a bracketed IPv6 literal); the validator checks the rest (labels, port range).
     */
    public static final String CORS_ORIGIN = "^(\\*|[a-zA-Z][-+.a-zA-Z0-9]*://(\\*\\.)?[-a-zA-Z0-9.]+(:[0-9]{1,5})?"
            + "|[a-zA-Z][-+.a-zA-Z0-9]*://\\[[0-9a-fA-F:.]+\\](:[0-9]{1,5})?)$";

    /** An absolute path. */
    public static final String ABSOLUTE_PATH = "^/";

    public static final String HTTP_SCHEME = "^(http|https)$";

    /** The longest host name: a 253-character DNS name after {@code *.}. */
    public static final int MAX_SITE_HOST_LENGTH = 255;
    public static final int MAX_DNS_NAME_LENGTH = 253;
    public static final int MAX_HOSTS = 64;
    public static final int MAX_ROUTES = 256;

    private SchemaPatterns() {}
}
