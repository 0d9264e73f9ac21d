package dev.portico.crds.validation;

import dev.portico.crds.units.Durations;
import dev.portico.crds.units.Sizes;
import dev.portico.crds.v1alpha1.HeaderModifier;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Checks that the site and its routes share; each adds violations for one value. */
final class ValueChecks {

    static final String REQUIRED = "is required";

    private ValueChecks() {}

    /** An optional size; zero is allowed only where it means something. */
    static void size(Violations violations, String path, String text, boolean mustBePositive) {
        if (text == null) {
            return;
        }
        try {
            long bytes = Sizes.parse(text);
            if (mustBePositive && bytes == 0) {
                violations.add(path, "must be greater than 0");
            }
        } catch (IllegalArgumentException e) {
            violations.add(path, e.getMessage());
        }
    }

    /** An optional duration; a zero timeout would fail every request, so it must be positive. */
    static void duration(Violations violations, String path, String text) {
        if (text == null) {
            return;
        }
        try {
            if (Durations.parse(text).isZero()) {
                violations.add(path, "must be greater than 0");
            }
        } catch (IllegalArgumentException e) {
            violations.add(path, e.getMessage());
        }
    }

    static void port(Violations violations, String path, Integer port) {
        if (port != null && (port < 1 || port > 65535)) {
            violations.add(path, "must be 1..65535");
        }
    }

    static void cidrs(Violations violations, String path, List<String> cidrs) {
        if (cidrs == null) {
            return;
        }
        for (int i = 0; i < cidrs.size(); i++) {
            String cidr = cidrs.get(i);
            String cidrPath = path + "[" + i + "]";
            if (cidr == null) {
                violations.add(cidrPath, REQUIRED);
            } else {
                IpAddresses.cidrProblem(cidr).ifPresent(problem -> violations.add(cidrPath, problem));
            }
        }
    }

    /** Hosts that must each be one of the site's hosts, e.g. a certificate's SNI names. */
    static void hostsWithin(Violations violations, String path, List<String> hosts, Set<String> siteHosts) {
        if (hosts == null) {
            return;
        }
        for (int i = 0; i < hosts.size(); i++) {
            String host = hosts.get(i);
            String hostPath = path + "[" + i + "]";
            if (host == null) {
                violations.add(hostPath, REQUIRED);
            } else if (!siteHosts.contains(host.toLowerCase(Locale.ROOT))) {
                violations.add(hostPath, "\"" + host + "\" must be one of spec.hosts");
            }
        }
    }

    static void headerModifier(Violations violations, String path, HeaderModifier modifier) {
        if (modifier == null) {
            return;
        }
        headerMap(violations, path + ".set", modifier.set());
        headerMap(violations, path + ".add", modifier.add());
        List<String> remove = modifier.remove();
        if (remove != null) {
            for (int i = 0; i < remove.size(); i++) {
                headerName(violations, path + ".remove[" + i + "]", remove.get(i));
            }
        }
    }

    static void headerName(Violations violations, String path, String name) {
        if (name == null) {
            violations.add(path, REQUIRED);
        } else if (!HttpSyntax.isToken(name)) {
            violations.add(path, HttpSyntax.TOKEN_HINT);
        }
    }

    static void headerValue(Violations violations, String path, String value) {
        if (value == null) {
            violations.add(path, "is required (use \"\" for an empty value)");
        } else if (!HttpSyntax.isSafeValue(value)) {
            violations.add(path, HttpSyntax.VALUE_HINT);
        }
    }

    private static void headerMap(Violations violations, String path, Map<String, String> headers) {
        if (headers == null) {
            return;
        }
        headers.forEach((name, value) -> {
            String entryPath = path + "[\"" + name + "\"]";
            if (!HttpSyntax.isToken(name)) {
                violations.add(entryPath, HttpSyntax.TOKEN_HINT);
            }
            headerValue(violations, entryPath, value);
        });
    }
}
