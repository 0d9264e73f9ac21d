package dev.portico.crds.validation;

import static dev.portico.crds.validation.ValueChecks.REQUIRED;

import dev.portico.crds.v1alpha1.Compression;
import dev.portico.crds.v1alpha1.Limits;
import dev.portico.crds.v1alpha1.ProxySite;
import dev.portico.crds.v1alpha1.ProxySiteSpec;
import dev.portico.crds.v1alpha1.SiteHeaders;
import dev.portico.crds.v1alpha1.Tls;
import dev.portico.crds.v1alpha1.TrustedProxies;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Everything a ProxySite must satisfy beyond its shape, checked the same way by the
 * operator (before it rolls anything out) and by the runtime (before it swaps configs).
 */
public final class ProxySiteValidator {

    private static final int MAX_HOSTS = 64;

    private ProxySiteValidator() {}

    /** All violations of {@code site}, in document order; empty when the site is valid. */
    public static List<Violation> validate(ProxySite site) {
        Violations violations = new Violations();
        if (!ProxySite.API_VERSION.equals(site.apiVersion())) {
            violations.add("apiVersion", mustBe(ProxySite.API_VERSION, site.apiVersion()));
        }
        if (!ProxySite.KIND.equals(site.kind())) {
            violations.add("kind", mustBe(ProxySite.KIND, site.kind()));
        }
        ProxySiteSpec spec = site.spec();
        if (spec == null) {
            violations.add("spec", REQUIRED);
            return violations.toList();
        }
        Set<String> siteHosts = hosts(violations, spec.hosts());
        if (spec.replicas() != null && spec.replicas() < 0) {
            violations.add("spec.replicas", "must be 0 or more");
        }
        if (spec.proxyClassName() != null && (spec.proxyClassName().length() > 253
                || !HostNames.isDns1123Subdomain(spec.proxyClassName()))) {
            violations.add("spec.proxyClassName", "must be a ProxyClass's name: lower-case letters, digits, '-' and "
                    + "'.', e.g. standard");
        }
        ExposureValidator.check(violations, spec.service(), spec.tls() != null);
        tls(violations, spec.tls(), siteHosts);
        trustedProxies(violations, spec.trustedProxies());
        proxyProtocol(violations, spec);
        limits(violations, spec.limits());
        headers(violations, spec.headers());
        compression(violations, spec.compression());
        PolicyValidator.accessControl(violations, "spec.accessControl", spec.accessControl());
        PolicyValidator.rateLimit(violations, "spec.rateLimit", spec.rateLimit());
        PolicyValidator.cors(violations, "spec.cors", spec.cors());
        new RouteValidator(violations, siteHosts).routes(spec.routes());
        AuthValidator.check(violations, spec.auth(), spec.routes());
        return violations.toList();
    }

    /** Checks {@code spec.hosts} and returns them lower-cased, for the checks that refer to them. */
    private static Set<String> hosts(Violations violations, List<String> hosts) {
        if (hosts == null || hosts.isEmpty()) {
            violations.add("spec.hosts", "at least one host is required");
            return Set.of();
        }
        if (hosts.size() > MAX_HOSTS) {
            violations.add("spec.hosts", "at most " + MAX_HOSTS + " hosts are allowed, got " + hosts.size());
        }
        Map<String, Integer> firstIndex = new HashMap<>();
        for (int i = 0; i < hosts.size(); i++) {
            String path = "spec.hosts[" + i + "]";
            String host = hosts.get(i);
            if (host == null) {
                violations.add(path, REQUIRED);
                continue;
            }
            HostNames.siteHostProblem(host).ifPresent(problem -> violations.add(path, problem));
            Integer earlier = firstIndex.putIfAbsent(host.toLowerCase(Locale.ROOT), i);
            if (earlier != null) {
                violations.add(path, "duplicates spec.hosts[" + earlier + "] (hosts are case-insensitive)");
            }
        }
        return firstIndex.keySet();
    }

    private static void tls(Violations violations, Tls tls, Set<String> siteHosts) {
        if (tls == null) {
            return;
        }
        List<Tls.Certificate> certificates = tls.certificates();
        if (certificates == null || certificates.isEmpty()) {
            if (tls.acme() == null) {
                violations.add("spec.tls.certificates", "at least one certificate is required (or spec.tls.acme)");
            }
        } else {
            for (int i = 0; i < certificates.size(); i++) {
                certificate(violations, "spec.tls.certificates[" + i + "]", certificates.get(i), siteHosts);
            }
        }
        if (tls.hsts() != null && tls.hsts().maxAge() != null && tls.hsts().maxAge() < 0) {
            violations.add("spec.tls.hsts.maxAge", "must be 0 or more (seconds)");
        }
        if (tls.acme() != null) {
            AcmeValidator.check(violations, tls.acme(), siteHosts);
        }
    }

    private static void certificate(Violations violations, String path, Tls.Certificate certificate, Set<String> siteHosts) {
        if (certificate == null) {
            violations.add(path, REQUIRED);
            return;
        }
        String secretName = certificate.secretName();
        if (secretName == null) {
            violations.add(path + ".secretName", REQUIRED);
        } else if (!HostNames.isDns1123Subdomain(secretName)) {
            violations.add(path + ".secretName",
                    "must be a Secret name: lowercase letters, digits, '-' and '.', e.g. vera-tls");
        }
        ValueChecks.hostsWithin(violations, path + ".hosts", certificate.hosts(), siteHosts);
    }

    /**
     * The PROXY protocol header says who the client is, so only the peers named as trusted proxies
     * may send one. {@code hops} cannot name them: it trusts every peer, which here would let anyone
     * choose their address.
     */
    private static void proxyProtocol(Violations violations, ProxySiteSpec spec) {
        if (!Boolean.TRUE.equals(spec.proxyProtocol())) {
            return;
        }
        TrustedProxies trusted = spec.trustedProxies();
        if (trusted == null || trusted.cidrs() == null || trusted.cidrs().isEmpty()) {
            boolean hops = trusted != null && trusted.hops() != null && trusted.hops() > 0;
            violations.add("spec.proxyProtocol", "needs spec.trustedProxies.cidrs: the load balancers that may "
                    + "send the header" + (hops ? " (hops cannot say who they are)" : ""));
        }
    }

    private static void trustedProxies(Violations violations, TrustedProxies trusted) {
        if (trusted == null) {
            return;
        }
        ValueChecks.cidrs(violations, "spec.trustedProxies.cidrs", trusted.cidrs());
        if (trusted.hops() != null && trusted.hops() < 0) {
            violations.add("spec.trustedProxies.hops", "must be 0 or more");
        }
        boolean hasCidrs = trusted.cidrs() != null && !trusted.cidrs().isEmpty();
        boolean hasHops = trusted.hops() != null && trusted.hops() > 0;
        if (hasCidrs && hasHops) {
            violations.add("spec.trustedProxies", "set cidrs or hops, not both");
        }
    }

    private static void limits(Violations violations, Limits limits) {
        if (limits == null) {
            return;
        }
        ValueChecks.size(violations, "spec.limits.maxRequestBodySize", limits.maxRequestBodySize(), true);
        ValueChecks.size(violations, "spec.limits.maxRequestHeadersSize", limits.maxRequestHeadersSize(), true);
        ValueChecks.duration(violations, "spec.limits.requestHeaderTimeout", limits.requestHeaderTimeout());
        ValueChecks.duration(violations, "spec.limits.requestBodyTimeout", limits.requestBodyTimeout());
        ValueChecks.duration(violations, "spec.limits.sendTimeout", limits.sendTimeout());
        count(violations, "spec.limits.maxConnectionsPerClient", limits.maxConnectionsPerClient());
        count(violations, "spec.limits.maxRequestsInFlightPerClient", limits.maxRequestsInFlightPerClient());
        count(violations, "spec.limits.maxUpstreamConnectionsPerBackend", limits.maxUpstreamConnectionsPerBackend());
        count(violations, "spec.limits.maxUpstreamConnections", limits.maxUpstreamConnections());
    }

    private static void count(Violations violations, String path, Integer value) {
        if (value != null && (value < 1 || value > Limits.MAX_CONNECTIONS_PER_CLIENT)) {
            violations.add(path, "must be 1.." + Limits.MAX_CONNECTIONS_PER_CLIENT + ", not " + value);
        }
    }

    private static void headers(Violations violations, SiteHeaders headers) {
        if (headers == null) {
            return;
        }
        ValueChecks.headerModifier(violations, "spec.headers.request", headers.request());
        ValueChecks.headerModifier(violations, "spec.headers.response", headers.response());
    }

    private static void compression(Violations violations, Compression compression) {
        if (compression != null) {
            ValueChecks.size(violations, "spec.compression.minSize", compression.minSize(), false);
        }
    }


    private static String mustBe(String expected, String actual) {
        return actual == null ? "must be " + expected : "must be " + expected + ", not \"" + actual + "\"";
    }
}
