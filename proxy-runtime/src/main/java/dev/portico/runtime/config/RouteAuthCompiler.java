package dev.portico.runtime.config;

import dev.portico.crds.InvalidProxySiteException;
import dev.portico.crds.units.Durations;
import dev.portico.crds.v1alpha1.Auth;
import dev.portico.crds.v1alpha1.ProxySiteSpec;
import dev.portico.crds.v1alpha1.Route;
import dev.portico.crds.validation.Htpasswd;
import dev.portico.crds.validation.Violation;
import dev.portico.runtime.auth.BasicAuthPolicy;
import dev.portico.runtime.auth.ForwardAuthPolicy;
import dev.portico.runtime.auth.RouteAuth;
import dev.portico.runtime.tls.SecretStore;
import io.netty.util.AsciiString;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Each route's auth, compiled: the route's own {@code auth}, else the site's, unless the route opts out. A basic-auth
 * Secret that cannot be read or holds a line that is not bcrypt refuses the whole config (the last good one keeps
 * serving; at start-up the runtime does not start): a site is never served without the auth it asks for.
 */
final class RouteAuthCompiler {

    private RouteAuthCompiler() {}

    /**
     * @param secrets where htpasswd files are read; null (tests of everything but secrets) refuses basic auth
     * @return by route order, null for a route without auth; empty when no route has any
     */
    static List<RouteAuth> compile(ProxySiteSpec spec, SecretStore secrets) {
        List<RouteAuth> byRoute = new ArrayList<>(spec.routes().size());
        Map<Auth, RouteAuth> compiled = new HashMap<>(); // routes that share the site's auth share its cache
        List<Violation> problems = new ArrayList<>();
        boolean any = false;
        for (int i = 0; i < spec.routes().size(); i++) {
            Route route = spec.routes().get(i);
            String path = route.auth() != null && (route.auth().forward() != null || route.auth().basic() != null)
                    ? "spec.routes[" + i + "].auth" : "spec.auth";
            Auth effective = effective(spec.auth(), route.auth());
            RouteAuth policy = null;
            if (effective != null) {
                policy = compiled.get(effective);
                if (policy == null) {
                    try {
                        policy = policy(effective, secrets, path);
                        compiled.put(effective, policy);
                    } catch (IllegalArgumentException e) {
                        problems.add(new Violation(path + ".basic.secretName", e.getMessage()));
                    }
                }
            }
            any |= policy != null;
            byRoute.add(policy);
        }
        if (!problems.isEmpty()) {
            throw new InvalidProxySiteException(problems);
        }
        return any ? byRoute : List.of();
    }

    /** The auth that applies to a route, or null for none. */
    static Auth effective(Auth site, Auth route) {
        if (route != null) {
            if (Boolean.FALSE.equals(route.enabled())) {
                return null;
            }
            if (route.forward() != null || route.basic() != null) {
                return route;
            }
        }
        if (site == null || Boolean.FALSE.equals(site.enabled()) || site.forward() == null && site.basic() == null) {
            return null;
        }
        return site;
    }

    private static RouteAuth policy(Auth auth, SecretStore secrets, String path) {
        if (auth.forward() != null) {
            Auth.ForwardAuth forward = auth.forward();
            // The spec is normalised (ProxySiteDefaults): path, timeout and the header list are set.
            List<AsciiString> names = forward.responseHeaders().stream().map(AsciiString::of).toList();
            return new ForwardAuthPolicy(SiteCompiler.upstreamTarget(forward.backend()), forward.path(), names,
                    Durations.parse(forward.timeout()));
        }
        Auth.BasicAuth basic = auth.basic();
        String secretName = basic.secretName();
        String source = "Secret \"" + secretName + "\" key \"" + SecretStore.HTPASSWD + "\"";
        if (secrets == null) {
            throw new IllegalArgumentException(source + ": no secrets to read it from");
        }
        byte[] text;
        try {
            text = secrets.read(secretName, SecretStore.HTPASSWD);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(source + " not found (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw new IllegalArgumentException(source + " cannot be read: " + e.getMessage());
        }
        try {
            return new BasicAuthPolicy(basic.realm(),
                    Htpasswd.parse(new String(text, StandardCharsets.UTF_8), source));
        } finally {
            Arrays.fill(text, (byte) 0);
        }
    }
}
