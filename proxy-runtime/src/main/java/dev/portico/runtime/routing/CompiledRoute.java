package dev.portico.runtime.routing;

import dev.portico.runtime.headers.ClientFields;
import dev.portico.runtime.headers.HeaderRules;
import java.util.List;

/**
 * One route of the site, ready to match: immutable, shared by every request that uses
 * the config generation it belongs to.
 */
public record CompiledRoute(
        String name,
        int order,
        List<HostPattern> hosts,
        List<HeaderCondition> headers,
        PathMatcher path,
        String replacePrefix,
        RouteAction action,
        long maxRequestBodySize,
        HeaderRules requestHeaders,
        HeaderRules responseHeaders,
        ClientFields clientFields) {

    /** An exact, case-sensitive match of one request header's value. */
    public record HeaderCondition(String name, String value) {}

    boolean matchesHost(String host) {
        if (hosts.isEmpty()) {
            return true;
        }
        for (HostPattern pattern : hosts) {
            if (pattern.matches(host)) {
                return true;
            }
        }
        return false;
    }

    /** How specifically this route's hosts match {@code host}; a route without hosts counts as {@code *}. */
    HostPattern.Kind hostKind(String host) {
        HostPattern.Kind best = HostPattern.Kind.ANY;
        for (HostPattern pattern : hosts) {
            if (pattern.kind().compareTo(best) < 0 && pattern.matches(host)) {
                best = pattern.kind();
            }
        }
        return best;
    }

    boolean matchesHeaders(RequestHeaderLookup lookup) {
        // Indexed, not for-each: this runs for every request and route, and the JIT did not
        // always remove the iterator (it showed in allocation profiles).
        for (int i = 0, n = headers.size(); i < n; i++) {
            HeaderCondition condition = headers.get(i);
            if (!lookup.hasValue(condition.name(), condition.value())) {
                return false;
            }
        }
        return true;
    }

    /**
     * The path that goes upstream, from the normalised request path: unchanged unless the route
     * rewrites its prefix (the replacement is used as written).
     */
    public String upstreamPath(String path) {
        if (replacePrefix == null || !(this.path instanceof PathMatcher.Prefix prefix)) {
            return path;
        }
        return prefix.replace(path, replacePrefix);
    }
}
