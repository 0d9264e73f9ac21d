package dev.portico.crds.validation;

import static dev.portico.crds.validation.ValueChecks.REQUIRED;

import dev.portico.crds.v1alpha1.Auth;
import dev.portico.crds.v1alpha1.Backend;
import dev.portico.crds.v1alpha1.BackendProtocol;
import dev.portico.crds.v1alpha1.Route;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/** Checks {@code spec.auth} and each route's {@code auth}. */
final class AuthValidator {

    private static final Pattern SPACE_OR_CONTROL = Pattern.compile("[\\s\\p{Cntrl}]");
    private static final Pattern REALM_FORBIDDEN = Pattern.compile("[\"\\\\\\p{Cntrl}]");
    /**
     * Fields the proxy itself writes on the upstream request, or that frame it: an auth service's answer must not
     * set them (a 2xx carrying Content-Length would change the framing of the request's body).
     */
    private static final Set<String> NOT_COPYABLE = Set.of("host", "content-length", "transfer-encoding",
            "connection", "upgrade", "te", "trailer", "keep-alive", "expect", "x-forwarded-for", "x-forwarded-proto",
            "x-forwarded-host", "x-forwarded-port", "x-real-ip", "forwarded");
    private static final int MAX_RESPONSE_HEADERS = 64;

    private AuthValidator() {}

    static void check(Violations violations, Auth siteAuth, List<Route> routes) {
        auth(violations, "spec.auth", siteAuth);
        if (routes == null) {
            return;
        }
        boolean siteHasAuth = siteAuth != null && !Boolean.FALSE.equals(siteAuth.enabled())
                && (siteAuth.forward() != null || siteAuth.basic() != null);
        for (int i = 0; i < routes.size(); i++) {
            Route route = routes.get(i);
            if (route == null || route.auth() == null) {
                continue;
            }
            String path = "spec.routes[" + i + "].auth";
            Auth auth = route.auth();
            auth(violations, path, auth);
            boolean inherits = !Boolean.FALSE.equals(auth.enabled()) && auth.forward() == null && auth.basic() == null;
            if (inherits && Boolean.TRUE.equals(auth.enabled()) && !siteHasAuth) {
                violations.add(path + ".enabled", "true needs spec.auth, or forward or basic on the route");
            }
        }
    }

    private static void auth(Violations violations, String path, Auth auth) {
        if (auth == null) {
            return;
        }
        if (auth.forward() != null && auth.basic() != null) {
            violations.add(path, "set at most one of forward, basic");
        }
        if (Boolean.FALSE.equals(auth.enabled()) && (auth.forward() != null || auth.basic() != null)) {
            violations.add(path + ".enabled", "false turns auth off; remove forward and basic, or enabled");
        }
        if (auth.forward() != null) {
            forward(violations, path + ".forward", auth.forward());
        }
        if (auth.basic() != null) {
            basic(violations, path + ".basic", auth.basic());
        }
    }

    /** The auth service is asked with an HTTP/1.1 subrequest whose answer is read whole: no HTTP/2 there. */
    private static void httpOneBackend(Violations violations, String path, Backend backend) {
        BackendProtocol protocol = backend.protocol();
        if (protocol == BackendProtocol.H2C || protocol == BackendProtocol.GRPC) {
            violations.add(path + ".protocol", "must be HTTP or HTTPS: the auth service is asked over HTTP/1.1");
        } else if (protocol == BackendProtocol.HTTPS && backend.tls() != null
                && Boolean.TRUE.equals(backend.tls().offerHttp2())) {
            violations.add(path + ".tls.offerHttp2", "must be false: the auth service is asked over HTTP/1.1");
        }
    }

    private static void forward(Violations violations, String path, Auth.ForwardAuth forward) {
        if (forward.backend() == null) {
            violations.add(path + ".backend", REQUIRED);
        } else {
            RouteValidator.backend(violations, path + ".backend", forward.backend());
            httpOneBackend(violations, path + ".backend", forward.backend());
        }
        String endpoint = forward.path();
        if (endpoint != null) {
            if (!endpoint.startsWith("/")) {
                violations.add(path + ".path", "must start with /");
            }
            if (endpoint.contains("#")) {
                violations.add(path + ".path", "must not contain # (a request target has no fragment)");
            }
            if (SPACE_OR_CONTROL.matcher(endpoint).find()) {
                violations.add(path + ".path", "must not contain spaces or control characters (percent-encode them)");
            }
        }
        List<String> names = forward.responseHeaders();
        if (names != null) {
            if (names.size() > MAX_RESPONSE_HEADERS) {
                violations.add(path + ".responseHeaders", "at most " + MAX_RESPONSE_HEADERS + " names, got "
                        + names.size());
            }
            for (int i = 0; i < names.size(); i++) {
                String namePath = path + ".responseHeaders[" + i + "]";
                String name = names.get(i);
                ValueChecks.headerName(violations, namePath, name);
                if (name != null && NOT_COPYABLE.contains(name.toLowerCase(Locale.ROOT))) {
                    violations.add(namePath, "the proxy sets " + name + " itself; an auth answer cannot");
                }
            }
        }
        ValueChecks.duration(violations, path + ".timeout", forward.timeout());
    }

    private static void basic(Violations violations, String path, Auth.BasicAuth basic) {
        String secretName = basic.secretName();
        if (secretName == null) {
            violations.add(path + ".secretName", REQUIRED);
        } else if (secretName.length() > 253 || !HostNames.isDns1123Subdomain(secretName)) {
            violations.add(path + ".secretName",
                    "must be a Secret name: lowercase letters, digits, '-' and '.', e.g. admin-htpasswd");
        }
        String realm = basic.realm();
        if (realm != null && (realm.length() > 256 || REALM_FORBIDDEN.matcher(realm).find())) {
            violations.add(path + ".realm", "must be at most 256 characters, without double quotes, backslashes or "
                    + "control characters (it is sent as a quoted string)");
        }
    }
}
