package dev.portico.crds.validation;

import static dev.portico.crds.validation.ValueChecks.REQUIRED;

import dev.portico.crds.v1alpha1.Backend;
import dev.portico.crds.v1alpha1.BackendProtocol;
import dev.portico.crds.v1alpha1.PathMatchType;
import dev.portico.crds.v1alpha1.Redirect;
import dev.portico.crds.v1alpha1.Respond;
import dev.portico.crds.v1alpha1.Route;
import dev.portico.crds.v1alpha1.RouteHeaders;
import dev.portico.crds.v1alpha1.RouteMatch;
import dev.portico.crds.v1alpha1.Timeouts;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.stream.Stream;

/** Checks {@code spec.routes}: each route's match, its one action, and its per-route settings. */
final class RouteValidator {

    private static final int MAX_ROUTES = 256;
    private static final Set<Integer> REDIRECT_CODES = Set.of(301, 302, 303, 307, 308);
    private static final Pattern SPACE_OR_CONTROL = Pattern.compile("[\\s\\p{Cntrl}]");

    private final Violations violations;
    private final Set<String> siteHosts;

    RouteValidator(Violations violations, Set<String> siteHosts) {
        this.violations = violations;
        this.siteHosts = siteHosts;
    }

    void routes(List<Route> routes) {
        if (routes == null || routes.isEmpty()) {
            violations.add("spec.routes", "at least one route is required");
            return;
        }
        if (routes.size() > MAX_ROUTES) {
            violations.add("spec.routes", "at most " + MAX_ROUTES + " routes are allowed, got " + routes.size());
        }
        for (int i = 0; i < routes.size(); i++) {
            route("spec.routes[" + i + "]", routes.get(i));
        }
    }

    private void route(String path, Route route) {
        if (route == null) {
            violations.add(path, REQUIRED);
            return;
        }
        long actions = Stream.of(route.backend(), route.respond(), route.redirect()).filter(a -> a != null).count();
        if (actions != 1) {
            violations.add(path, "set exactly one of backend, respond, redirect");
        }
        PathMatchType type = match(path + ".match", route.match());
        if (route.backend() != null) {
            backend(violations, path + ".backend", route.backend());
            BalancingValidator.backend(violations, path + ".backend", route.backend());
        }
        BalancingValidator.retries(violations, path + ".retries", route.retries(), route.backend() != null);
        if (route.respond() != null) {
            respond(path + ".respond", route.respond());
        }
        if (route.redirect() != null) {
            redirect(path + ".redirect", route.redirect());
        }
        if (route.rewrite() != null) {
            if (route.backend() == null || type != PathMatchType.PathPrefix) {
                violations.add(path + ".rewrite", "only allowed with backend and a PathPrefix match");
            }
            String replacement = route.rewrite().replacePrefixMatch();
            if (replacement == null || !replacement.startsWith("/")) {
                violations.add(path + ".rewrite.replacePrefixMatch", "must start with /");
            }
        }
        timeouts(path + ".timeouts", route.timeouts());
        ValueChecks.size(violations, path + ".maxRequestBodySize", route.maxRequestBodySize(), false);
        RouteHeaders headers = route.headers();
        if (headers != null) {
            ValueChecks.headerModifier(violations, path + ".headers.request", headers.request());
            ValueChecks.headerModifier(violations, path + ".headers.response", headers.response());
        }
        PolicyValidator.accessControl(violations, path + ".accessControl", route.accessControl());
        PolicyValidator.rateLimit(violations, path + ".rateLimit", route.rateLimit());
        PolicyValidator.cors(violations, path + ".cors", route.cors());
    }

    /** Checks the match and returns its path type, defaulted, for the checks that depend on it. */
    private PathMatchType match(String path, RouteMatch match) {
        if (match == null) {
            return PathMatchType.PathPrefix;
        }
        PathMatchType type = match.path() == null || match.path().type() == null
                ? PathMatchType.PathPrefix
                : match.path().type();
        if (match.path() != null) {
            pathValue(path + ".path.value", type, match.path().value());
        }
        ValueChecks.hostsWithin(violations, path + ".hosts", match.hosts(), siteHosts);
        List<RouteMatch.HeaderMatch> headers = match.headers();
        if (headers != null) {
            for (int i = 0; i < headers.size(); i++) {
                String headerPath = path + ".headers[" + i + "]";
                RouteMatch.HeaderMatch header = headers.get(i);
                if (header == null) {
                    violations.add(headerPath, REQUIRED);
                    continue;
                }
                ValueChecks.headerName(violations, headerPath + ".name", header.name());
                ValueChecks.headerValue(violations, headerPath + ".value", header.value());
            }
        }
        return type;
    }

    private void pathValue(String path, PathMatchType type, String value) {
        if (type == PathMatchType.RegularExpression) {
            regularExpression(path, value);
            return;
        }
        if (value == null) {
            return; // defaults to "/"
        }
        if (!value.startsWith("/")) {
            violations.add(path, "must start with /");
        }
        if (value.contains("?") || value.contains("#")) {
            violations.add(path, "must not contain ? or # (the query and fragment are not part of the path)");
        }
        if (SPACE_OR_CONTROL.matcher(value).find()) {
            violations.add(path, "must not contain spaces or control characters (percent-encode them)");
        }
    }

    /**
     * A regular expression need not start with {@code /}: {@code ^/api} and {@code .*\.php}
     * are as natural as {@code /api/.*}. It only has to compile, as java.util.regex.
     */
    private void regularExpression(String path, String value) {
        if (value == null) {
            violations.add(path, "is required with type RegularExpression");
            return;
        }
        try {
            Pattern.compile(value);
        } catch (PatternSyntaxException e) {
            violations.add(path, "is not a valid regular expression: " + e.getDescription() + " near index " + e.getIndex());
        }
    }

    /** A backend's address; also the address of a forward-auth service. */
    static void backend(Violations violations, String path, Backend backend) {
        String service = backend.service();
        if (service == null) {
            violations.add(path + ".service", REQUIRED);
        } else if (!HostNames.isDnsName(service) && !IpAddresses.isIpLiteral(service)) {
            violations.add(path + ".service", "must be a DNS name (e.g. a Service name) or an IP address");
        }
        if (backend.port() == null) {
            violations.add(path + ".port", REQUIRED);
        }
        ValueChecks.port(violations, path + ".port", backend.port());
        // tls with protocol HTTP is not an error: the binding example of API.md writes both,
        // and tls simply has no effect then.
        Backend.BackendTls tls = backend.tls();
        if (tls != null && tls.serverName() != null && !HostNames.isDnsName(tls.serverName())) {
            violations.add(path + ".tls.serverName", "must be a DNS name");
        }
        // Unlike the rest of tls, offerHttp2 on another protocol is an error: whoever writes it expects
        // HTTP/2, and HTTP would quietly stay HTTP/1.1, while H2C and GRPC speak HTTP/2 anyway.
        if (tls != null && Boolean.TRUE.equals(tls.offerHttp2()) && backend.protocol() != BackendProtocol.HTTPS) {
            violations.add(path + ".tls.offerHttp2", "only with protocol HTTPS (HTTP has no TLS to negotiate "
                    + "HTTP/2 in; H2C and GRPC always speak HTTP/2)");
        }
    }

    private void respond(String path, Respond respond) {
        if (respond.status() != null && (respond.status() < 200 || respond.status() > 599)) {
            violations.add(path + ".status", "must be 200..599");
        }
    }

    private void redirect(String path, Redirect redirect) {
        String scheme = redirect.scheme();
        if (scheme != null && !scheme.equals("http") && !scheme.equals("https")) {
            violations.add(path + ".scheme", "must be http or https");
        }
        String hostname = redirect.hostname();
        if (hostname != null && !HostNames.isDnsName(hostname) && !IpAddresses.isIpLiteral(hostname)) {
            violations.add(path + ".hostname", "must be a DNS name or an IP address, without a port");
        }
        ValueChecks.port(violations, path + ".port", redirect.port());
        if (redirect.path() != null && !redirect.path().startsWith("/")) {
            violations.add(path + ".path", "must start with /");
        }
        if (redirect.statusCode() != null && !REDIRECT_CODES.contains(redirect.statusCode())) {
            violations.add(path + ".statusCode", "must be one of 301, 302, 303, 307, 308");
        }
    }

    private void timeouts(String path, Timeouts timeouts) {
        if (timeouts == null) {
            return;
        }
        ValueChecks.duration(violations, path + ".connect", timeouts.connect());
        ValueChecks.duration(violations, path + ".response", timeouts.response());
        ValueChecks.duration(violations, path + ".idle", timeouts.idle());
    }
}
