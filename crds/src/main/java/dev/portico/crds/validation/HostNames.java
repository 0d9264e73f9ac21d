package dev.portico.crds.validation;

import java.util.Optional;
import java.util.regex.Pattern;

/** The shapes of names the API accepts: DNS names, site host patterns, Secret names. */
final class HostNames {

    private static final Pattern DNS_NAME =
            Pattern.compile("(?i)[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?(?:\\.[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?)*");

    // Kubernetes' own rule for object names (RFC 1123 subdomain): lowercase only.
    private static final Pattern DNS_1123_SUBDOMAIN =
            Pattern.compile("[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*");

    private static final int MAX_DNS_NAME_LENGTH = 253;

    private HostNames() {}

    static boolean isDnsName(String name) {
        return name.length() <= MAX_DNS_NAME_LENGTH && DNS_NAME.matcher(name).matches();
    }

    static boolean isDns1123Subdomain(String name) {
        return name.length() <= MAX_DNS_NAME_LENGTH && DNS_1123_SUBDOMAIN.matcher(name).matches();
    }

    /** What is wrong with an entry of {@code spec.hosts}, if anything. */
    static Optional<String> siteHostProblem(String host) {
        if (host.equals("*")) {
            return Optional.empty();
        }
        if (host.contains(":")) {
            return Optional.of("must not include a port (the proxy matches the host without it)");
        }
        if (host.endsWith(".")) {
            return Optional.of("must not end with a dot");
        }
        String exact = host.startsWith("*.") ? host.substring(2) : host;
        if (exact.contains("*")) {
            return Optional.of("a wildcard must be the whole first label, as in *.example.com");
        }
        if (!isDnsName(exact)) {
            return Optional.of("must be a DNS name such as example.com, a wildcard such as *.example.com, or *");
        }
        return Optional.empty();
    }
}
