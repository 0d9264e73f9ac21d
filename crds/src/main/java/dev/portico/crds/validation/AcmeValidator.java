package dev.portico.crds.validation;

import static dev.portico.crds.validation.ValueChecks.REQUIRED;

import dev.portico.crds.v1alpha1.SchemaPatterns;
import dev.portico.crds.v1alpha1.Tls;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/** {@code spec.tls.acme}: what the operator needs to order a certificate the CA can issue. */
final class AcmeValidator {

    private static final String PATH = "spec.tls.acme";
    private static final Pattern EMAIL = Pattern.compile(SchemaPatterns.EMAIL);
    static final String NO_WILDCARDS = "is a wildcard: the CA can only prove a wildcard over DNS-01, which "
            + "Portico does not do; leave it out of acme.hosts and serve it from a Secret made by cert-manager "
            + "with a DNS-01 solver, listed in spec.tls.certificates";

    private AcmeValidator() {}

    static void check(Violations violations, Tls.Acme acme, Set<String> siteHosts) {
        if (acme.email() == null) {
            violations.add(PATH + ".email", REQUIRED);
        } else if (acme.email().length() > 254 || !EMAIL.matcher(acme.email()).matches()) {
            violations.add(PATH + ".email", "must be an e-mail address such as ops@example.com");
        }
        if (acme.directory() != null) {
            directoryProblem(acme.directory()).ifPresent(p -> violations.add(PATH + ".directory", p));
        }
        hosts(violations, acme.hosts(), siteHosts);
        secretName(violations, PATH + ".secretName", acme.secretName(), true);
        secretName(violations, PATH + ".accountSecretName", acme.accountSecretName(), false);
        if (acme.secretName() != null && acme.secretName().equals(acme.accountSecretName())) {
            violations.add(PATH + ".accountSecretName", "must differ from acme.secretName: the account key and "
                    + "the certificate are different Secrets");
        }
    }

    /** An https URL with a host; http is refused even on loopback (a test CA such as Pebble speaks https too). */
    static Optional<String> directoryProblem(String directory) {
        try {
            URI uri = new URI(directory);
            if (!"https".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
                return Optional.of("must be an https:// URL of an ACME directory, e.g. " + Tls.Acme.LETS_ENCRYPT);
            }
            return Optional.empty();
        } catch (URISyntaxException e) {
            return Optional.of("is not a URL (" + e.getReason() + ")");
        }
    }

    private static void hosts(Violations violations, List<String> hosts, Set<String> siteHosts) {
        if (hosts == null) {
            if (!siteHosts.isEmpty() && siteHosts.stream().allMatch(h -> h.startsWith("*."))) {
                violations.add(PATH + ".hosts", "spec.hosts has only wildcards, which HTTP-01 cannot prove: "
                        + "there is nothing to order");
            }
            return;
        }
        if (hosts.isEmpty()) {
            violations.add(PATH + ".hosts", "must name at least one host, or be left out for all of spec.hosts");
            return;
        }
        ValueChecks.hostsWithin(violations, PATH + ".hosts", hosts, siteHosts);
        for (int i = 0; i < hosts.size(); i++) {
            String host = hosts.get(i);
            if (host != null && host.startsWith("*")) {
                violations.add(PATH + ".hosts[" + i + "]", "\"" + host + "\" " + NO_WILDCARDS);
            }
        }
    }

    private static void secretName(Violations violations, String path, String name, boolean required) {
        if (name == null) {
            if (required) {
                violations.add(path, REQUIRED);
            }
        } else if (!HostNames.isDns1123Subdomain(name)) {
            violations.add(path, "must be a Secret name: lowercase letters, digits, '-' and '.', e.g. vera-tls");
        }
    }
}
