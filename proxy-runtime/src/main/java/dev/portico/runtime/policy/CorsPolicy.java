package dev.portico.runtime.policy;

import dev.portico.crds.v1alpha1.Cors;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.AsciiString;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code cors}, compiled: the answer to preflights, and the CORS headers of every other response to a request with
 * an Origin (the Fetch standard's CORS protocol). A request without Origin is not a CORS request and is left alone.
 *
 * <p>The policy owns the Access-Control-* response headers of its routes: those of the backend (or of header rules)
 * are replaced, so an origin the policy refuses cannot be let in by a backend's own CORS code, as in Envoy and
 * Traefik. {@code Vary: Origin} goes on every response to a request with an Origin, since the headers depend on it.
 */
public final class CorsPolicy implements ResponsePolicy {

    private static final AsciiString TRUE = AsciiString.cached("true");
    private static final AsciiString STAR = AsciiString.cached("*");
    /** As a Vary value, spelled as RFC 9110 does (Netty's header names are lower case). */
    private static final AsciiString ORIGIN = AsciiString.cached("Origin");
    private static final Set<String> SAFELISTED_METHODS = Set.of("GET", "HEAD", "POST");
    /** What the policy replaces in a backend's response. */
    private static final List<AsciiString> OWNED = List.of(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN,
            HttpHeaderNames.ACCESS_CONTROL_ALLOW_CREDENTIALS, HttpHeaderNames.ACCESS_CONTROL_EXPOSE_HEADERS,
            HttpHeaderNames.ACCESS_CONTROL_ALLOW_METHODS, HttpHeaderNames.ACCESS_CONTROL_ALLOW_HEADERS,
            HttpHeaderNames.ACCESS_CONTROL_MAX_AGE);

    private final AllowedOrigins origins;
    private final boolean anyMethod;
    private final Set<String> methods;
    private final boolean anyHeader;
    /** Lower-cased. */
    private final Set<String> headers;
    private final boolean credentials;
    /** The header values, joined once; null when there is nothing to send. */
    private final String allowMethods;
    private final String allowHeaders;
    private final String exposeHeaders;
    private final String maxAge;

    private CorsPolicy(Cors spec) {
        this.origins = new AllowedOrigins(spec.allowOrigins());
        List<String> methodList = orEmpty(spec.allowMethods());
        this.anyMethod = methodList.contains("*");
        this.methods = Set.copyOf(methodList);
        List<String> headerList = orEmpty(spec.allowHeaders());
        this.anyHeader = headerList.contains("*");
        Set<String> lower = new HashSet<>();
        headerList.forEach(name -> lower.add(name.toLowerCase(Locale.ROOT)));
        this.headers = Set.copyOf(lower);
        this.credentials = Boolean.TRUE.equals(spec.allowCredentials());
        this.allowMethods = methodList.isEmpty() ? null : String.join(", ", methodList);
        this.allowHeaders = headerList.isEmpty() ? null : String.join(", ", headerList);
        List<String> exposeList = orEmpty(spec.exposeHeaders());
        this.exposeHeaders = exposeList.isEmpty() ? null : String.join(", ", exposeList);
        this.maxAge = spec.maxAge() == null ? null : spec.maxAge().toString();
    }

    /** The policy of {@code spec}, or null for none (absent, or {@code enabled: false}). */
    public static CorsPolicy of(Cors spec) {
        return spec == null || Boolean.FALSE.equals(spec.enabled()) ? null : new CorsPolicy(spec);
    }

    /** A preflight: OPTIONS with Origin and Access-Control-Request-Method. Any other OPTIONS is an ordinary request. */
    public static boolean isPreflight(HttpRequest request) {
        HttpHeaders headers = request.headers();
        return request.method().equals(HttpMethod.OPTIONS) && headers.contains(HttpHeaderNames.ORIGIN)
                && headers.contains(HttpHeaderNames.ACCESS_CONTROL_REQUEST_METHOD);
    }

    /**
     * Fills the head of the proxy's answer to a preflight. An allowed one (origin, method and every requested header)
     * gets the Access-Control-Allow-* headers; any other gets none of them, and the browser refuses the request it
     * was asked about. Either way the status is the caller's 204, as Traefik answers: a 403 would tell the browser
     * nothing more, and the page cannot read it.
     *
     * @return whether the preflight was allowed
     */
    public boolean answerPreflight(HttpRequest request, HttpHeaders response) {
        HttpHeaders asked = request.headers();
        removeOwned(response);
        addVaryOrigin(response);
        String origin = asked.get(HttpHeaderNames.ORIGIN);
        String method = asked.get(HttpHeaderNames.ACCESS_CONTROL_REQUEST_METHOD);
        String requestHeaders = asked.get(HttpHeaderNames.ACCESS_CONTROL_REQUEST_HEADERS);
        if (!origins.allows(origin) || !allowsMethod(method) || !allowsHeaders(requestHeaders)) {
            return false;
        }
        response.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        if (credentials) {
            response.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_CREDENTIALS, TRUE);
        }
        // "*" is a wildcard only without credentials (Fetch); naming what was asked works either way.
        if (anyMethod) {
            response.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_METHODS, credentials ? method : STAR);
        } else if (allowMethods != null) {
            response.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_METHODS, allowMethods);
        }
        if (anyHeader) {
            // Echoed rather than "*", which never covers Authorization.
            if (requestHeaders != null && !requestHeaders.isBlank()) {
                response.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_HEADERS, requestHeaders);
            }
        } else if (allowHeaders != null) {
            response.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_HEADERS, allowHeaders);
        }
        if (maxAge != null) {
            response.set(HttpHeaderNames.ACCESS_CONTROL_MAX_AGE, maxAge);
        }
        return true;
    }

    /** The CORS headers of a response that is not a preflight's answer; nothing for a request without Origin. */
    @Override
    public void apply(HttpRequest request, HttpHeaders response) {
        String origin = request.headers().get(HttpHeaderNames.ORIGIN);
        if (origin == null) {
            return;
        }
        removeOwned(response);
        addVaryOrigin(response);
        if (!origins.allows(origin)) {
            return;
        }
        response.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        if (credentials) {
            response.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_CREDENTIALS, TRUE);
        }
        if (exposeHeaders != null) {
            response.set(HttpHeaderNames.ACCESS_CONTROL_EXPOSE_HEADERS, exposeHeaders);
        }
    }

    /** Whether {@code origin} may read responses; for tests of the table. */
    boolean allowsOrigin(String origin) {
        return origins.allows(origin);
    }

    /** Methods are case-sensitive (RFC 9110 9.1); the safelisted ones need not be listed (Fetch). */
    private boolean allowsMethod(String method) {
        return anyMethod || SAFELISTED_METHODS.contains(method) || methods.contains(method);
    }

    private boolean allowsHeaders(String requested) {
        if (requested == null || anyHeader) {
            return true;
        }
        for (String name : requested.split(",")) {
            String trimmed = name.trim();
            if (!trimmed.isEmpty() && !headers.contains(trimmed.toLowerCase(Locale.ROOT))) {
                return false;
            }
        }
        return true;
    }

    /** Header rules may have set some: the policy decides them alone. */
    private static void removeOwned(HttpHeaders response) {
        for (AsciiString owned : OWNED) {
            response.remove(owned);
        }
    }

    /**
     * Merged into what is there (the backend's Vary) as one field, never twice; {@code Vary: *} already says that
     * the response varies with everything.
     */
    private static void addVaryOrigin(HttpHeaders response) {
        if (response.containsValue(HttpHeaderNames.VARY, HttpHeaderNames.ORIGIN, true)
                || response.containsValue(HttpHeaderNames.VARY, STAR, false)) {
            return;
        }
        StringBuilder merged = new StringBuilder();
        for (String value : response.getAll(HttpHeaderNames.VARY)) {
            if (!value.isBlank()) {
                merged.append(value.trim()).append(", ");
            }
        }
        response.set(HttpHeaderNames.VARY, merged.append(ORIGIN).toString());
    }

    private static List<String> orEmpty(List<String> list) {
        return list == null ? List.of() : list;
    }
}
