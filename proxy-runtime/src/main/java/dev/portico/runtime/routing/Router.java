package dev.portico.runtime.routing;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Host and path routing with the precedence of the API: Exact beats PathPrefix, the
 * longest PathPrefix wins, RegularExpression routes come last in the order written.
 * Among equal paths, the route whose hosts match the request's most specifically goes first
 * (exact, then wildcard, then {@code *} or no hosts), then the one with more header
 * conditions, then the order written.
 * A pure function of its inputs, so it is tested exhaustively without sockets.
 */
public final class Router {

    private final List<HostPattern> siteHosts;
    private final Map<String, List<CompiledRoute>> exact;
    private final List<CompiledRoute> prefixes;
    private final List<CompiledRoute> regexes;

    public Router(List<HostPattern> siteHosts, List<CompiledRoute> routes) {
        this.siteHosts = List.copyOf(siteHosts);
        Comparator<CompiledRoute> specificFirst = Comparator
                .comparingInt((CompiledRoute r) -> -r.headers().size())
                .thenComparingInt(CompiledRoute::order);
        Map<String, List<CompiledRoute>> exactRoutes = new HashMap<>();
        List<CompiledRoute> prefixRoutes = new ArrayList<>();
        List<CompiledRoute> regexRoutes = new ArrayList<>();
        for (CompiledRoute route : routes) {
            if (route.path() instanceof PathMatcher.Exact e) {
                exactRoutes.computeIfAbsent(e.value(), k -> new ArrayList<>()).add(route);
            } else if (route.path() instanceof PathMatcher.Prefix) {
                prefixRoutes.add(route);
            } else {
                regexRoutes.add(route);
            }
        }
        exactRoutes.replaceAll((path, list) -> list.stream().sorted(specificFirst).toList());
        prefixRoutes.sort(Comparator
                .comparingInt((CompiledRoute r) -> -((PathMatcher.Prefix) r.path()).length())
                .thenComparing(specificFirst));
        regexRoutes.sort(Comparator.comparingInt(CompiledRoute::order));
        this.exact = Map.copyOf(exactRoutes);
        this.prefixes = List.copyOf(prefixRoutes);
        this.regexes = List.copyOf(regexRoutes);
    }

    /**
     * @param host a host normalised by {@link HostNames#normalise}
     * @param path the raw request path, without the query
     */
    public RouteResult route(String host, String path, RequestHeaderLookup headers) {
        if (!servesHost(host)) {
            return RouteResult.UNKNOWN_HOST;
        }
        List<CompiledRoute> exactCandidates = exact.get(path);
        if (exactCandidates != null) {
            CompiledRoute found = mostSpecific(exactCandidates, host, path, headers);
            if (found != null) {
                return new RouteResult.Matched(found);
            }
        }
        CompiledRoute found = mostSpecific(prefixes, host, path, headers);
        if (found == null) {
            found = first(regexes, host, path, headers);
        }
        return found == null ? RouteResult.NO_ROUTE : new RouteResult.Matched(found);
    }

    public boolean servesHost(String host) {
        for (HostPattern pattern : siteHosts) {
            if (pattern.matches(host)) {
                return true;
            }
        }
        return false;
    }

    private static CompiledRoute first(List<CompiledRoute> candidates, String host, String path,
                                       RequestHeaderLookup headers) {
        for (CompiledRoute route : candidates) {
            if (route.path().matches(path) && route.matchesHost(host) && route.matchesHeaders(headers)) {
                return route;
            }
        }
        return null;
    }

    /**
     * Among the matching routes of the most specific path, the one whose hosts match
     * {@code host} most specifically (exact, then wildcard, then {@code *} or no hosts);
     * {@code candidates} are sorted by path, then header conditions, then order written.
     */
    private static CompiledRoute mostSpecific(List<CompiledRoute> candidates, String host, String path,
                                              RequestHeaderLookup headers) {
        CompiledRoute best = null;
        HostPattern.Kind bestKind = null;
        for (CompiledRoute route : candidates) {
            if (best != null && pathLength(route) != pathLength(best)) {
                break;
            }
            if (route.path().matches(path) && route.matchesHost(host) && route.matchesHeaders(headers)) {
                HostPattern.Kind kind = route.hostKind(host);
                if (best == null || kind.compareTo(bestKind) < 0) {
                    best = route;
                    bestKind = kind;
                }
            }
        }
        return best;
    }

    private static int pathLength(CompiledRoute route) {
        return route.path() instanceof PathMatcher.Prefix prefix ? prefix.length() : -1;
    }
}
