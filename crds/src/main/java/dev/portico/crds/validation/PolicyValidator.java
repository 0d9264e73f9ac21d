package dev.portico.crds.validation;

import static dev.portico.crds.validation.ValueChecks.REQUIRED;

import dev.portico.crds.v1alpha1.AccessControl;
import dev.portico.crds.v1alpha1.Cors;
import dev.portico.crds.v1alpha1.RateLimit;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The policies a site and each of its routes may set ({@code accessControl}, {@code rateLimit}, {@code cors}),
 * checked the same way under either path.
 */
final class PolicyValidator {

    private static final Pattern SCHEME = Pattern.compile("[a-zA-Z][-+.a-zA-Z0-9]*");
    private static final String ORIGIN_HINT = "must be \"*\" or an origin scheme://host[:port] without a path, "
            + "its host perhaps starting with *. (e.g. https://app.example.com, https://*.example.com, "
            + "http://localhost:8080)";

    private PolicyValidator() {}

    static void accessControl(Violations violations, String path, AccessControl accessControl) {
        if (accessControl != null) {
            ValueChecks.cidrs(violations, path + ".allow", accessControl.allow());
            ValueChecks.cidrs(violations, path + ".deny", accessControl.deny());
        }
    }

    static void rateLimit(Violations violations, String path, RateLimit rateLimit) {
        if (rateLimit == null) {
            return;
        }
        boolean disabled = Boolean.FALSE.equals(rateLimit.enabled());
        if (rateLimit.requestsPerSecond() == null) {
            if (!disabled) {
                violations.add(path + ".requestsPerSecond", REQUIRED + " (or set enabled: false)");
            }
        } else if (rateLimit.requestsPerSecond() < 1) {
            violations.add(path + ".requestsPerSecond", "must be 1 or more");
        }
        if (rateLimit.burst() != null && rateLimit.burst() < 1) {
            violations.add(path + ".burst", "must be 1 or more");
        }
    }

    static void cors(Violations violations, String path, Cors cors) {
        if (cors == null) {
            return;
        }
        boolean credentials = Boolean.TRUE.equals(cors.allowCredentials());
        List<String> origins = cors.allowOrigins();
        if (origins == null || origins.isEmpty()) {
            if (!Boolean.FALSE.equals(cors.enabled())) {
                violations.add(path + ".allowOrigins", "needs at least one origin (or set enabled: false)");
            }
        } else {
            Map<String, Integer> firstIndex = new HashMap<>();
            for (int i = 0; i < origins.size(); i++) {
                String originPath = path + ".allowOrigins[" + i + "]";
                String origin = origins.get(i);
                if (origin == null) {
                    violations.add(originPath, REQUIRED);
                    continue;
                }
                if (origin.equals("*") && credentials) {
                    violations.add(originPath, "\"*\" cannot be combined with allowCredentials: true (browsers "
                            + "refuse it); list the origins");
                } else if (!isOriginPattern(origin)) {
                    violations.add(originPath, ORIGIN_HINT + ", not \"" + origin + "\"");
                }
                Integer earlier = firstIndex.putIfAbsent(origin.toLowerCase(Locale.ROOT), i);
                if (earlier != null) {
                    violations.add(originPath, "duplicates allowOrigins[" + earlier + "] (origins are "
                            + "case-insensitive)");
                }
            }
        }
        tokens(violations, path + ".allowMethods", cors.allowMethods(), false);
        tokens(violations, path + ".allowHeaders", cors.allowHeaders(), false);
        tokens(violations, path + ".exposeHeaders", cors.exposeHeaders(), credentials);
        if (cors.maxAge() != null && (cors.maxAge() < 0 || cors.maxAge() > 86400)) {
            violations.add(path + ".maxAge", "must be 0..86400 (seconds)");
        }
    }

    /** Method or header names, or "*"; {@code starRefused} when credentials make "*" a literal name. */
    private static void tokens(Violations violations, String path, List<String> names, boolean starRefused) {
        if (names == null) {
            return;
        }
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            String namePath = path + "[" + i + "]";
            if (name == null) {
                violations.add(namePath, REQUIRED);
            } else if (name.equals("*") && starRefused) {
                violations.add(namePath, "\"*\" cannot be combined with allowCredentials: true (browsers read it "
                        + "as a header named *); list the headers");
            } else if (!HttpSyntax.isToken(name)) {
                violations.add(namePath, HttpSyntax.TOKEN_HINT);
            }
        }
    }

    /**
     * {@code *}, or {@code scheme://host[:port]} with nothing after: what browsers send in Origin (RFC 6454 section
     * 6.1), the host a DNS name (perhaps {@code *.} and a DNS name), an IPv4 literal or a bracketed IPv6 literal.
     */
    static boolean isOriginPattern(String origin) {
        if (origin.equals("*")) {
            return true;
        }
        int separator = origin.indexOf("://");
        if (separator < 1 || !SCHEME.matcher(origin.substring(0, separator)).matches()) {
            return false;
        }
        String authority = origin.substring(separator + 3);
        String host = authority;
        int portStart = authority.startsWith("[") ? authority.indexOf("]:") + 1 : authority.lastIndexOf(':');
        if (portStart > 0) {
            String port = authority.substring(portStart + 1);
            if (!port.matches("[0-9]{1,5}") || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
                return false;
            }
            host = authority.substring(0, portStart);
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            return IpAddresses.isIpLiteral(host.substring(1, host.length() - 1))
                    && host.substring(1, host.length() - 1).contains(":");
        }
        String name = host.startsWith("*.") ? host.substring(2) : host;
        return HostNames.isDnsName(name) || !host.startsWith("*.") && IpAddresses.isIpLiteral(host)
                && !host.contains(":");
    }
}
