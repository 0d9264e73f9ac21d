package dev.portico.runtime.headers;

import io.netty.handler.codec.http.HttpHeaders;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Which of the client's request fields, by name, may reach the backend: the one place that
 * decides it for the header section and for trailers, over HTTP/1.1 and HTTP/2 alike.
 *
 * <p>Names are compared as a CGI gateway sees them: case-insensitively and with {@code _} read
 * as {@code -} (RFC 3875 4.1.18 turns both into {@code HTTP_X_FORWARDED_FOR}; WSGI, PHP and Rack
 * do the same), so {@code X_Forwarded_For} is X-Forwarded-For to such a backend, next to or
 * instead of the one the proxy wrote.
 *
 * <ul>
 *   <li>A name with an underscore is dropped unless the site allows underscores
 *       ({@code spec.headers.underscoresInHeaders}, nginx's {@code underscores_in_headers});
 *       even then one that reads as a field the proxy owns (below) is dropped.</li>
 *   <li>Trailers are dropped, whatever their spelling, when they name a field the proxy owns or
 *       one RFC 9110 6.5.1 keeps out of trailers (framing, routing, request modifiers,
 *       authentication, content format): a backend that merges trailers into the header section
 *       must not get a second Host, X-Forwarded-For or Authorization after the proxy checked
 *       and wrote the first.</li>
 * </ul>
 * Owned: what the proxy writes, removes or frames by (the forwarded headers, hop-by-hop and
 * framing fields, Host, Expect) and every name the site's and route's request rules set, add or
 * remove.
 */
public final class ClientFields {

    /** Spelled with '-', lower case. Content-Type too: CGI gives it and Content-Length meta-variables of their own. */
    private static final Set<String> OWNED = Set.of(
            "forwarded", "x-real-ip",
            "connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade",
            "content-length", "content-type", "host", "expect");
    private static final List<String> OWNED_PREFIXES = List.of("x-forwarded-", "proxy-", "x-http2-");

    /**
     * RFC 9110 6.5.1: fields whose evaluation the recipient needs before the content, so a
     * sender must not put them in trailers. Beyond {@link #OWNED}: request modifiers (controls
     * and conditionals, section 13; content negotiation, 12.5), authentication (Authorization,
     * Proxy-Authorization by its prefix; Cookie, RFC 6265, whose state is read before the body)
     * and the content's format. Content-Digest and other integrity fields, what trailers are for,
     * pass.
     */
    private static final Set<String> NOT_IN_TRAILERS = Set.of(
            "cache-control", "pragma", "max-forwards", "range",
            "if-match", "if-none-match", "if-modified-since", "if-unmodified-since", "if-range",
            "accept", "accept-charset", "accept-encoding", "accept-language",
            "authorization", "cookie",
            "content-encoding", "content-range", "content-language", "content-location");

    private final boolean underscoresAllowed;
    /** Names the request rules touch, canonical ('-', lower case). */
    private final Set<String> ruleNames;

    private ClientFields(boolean underscoresAllowed, Set<String> ruleNames) {
        this.underscoresAllowed = underscoresAllowed;
        this.ruleNames = ruleNames;
    }

    /**
     * @param underscoresAllowed {@code spec.headers.underscoresInHeaders}
     * @param requestRules       the route's request rules followed by the site's
     */
    public static ClientFields of(boolean underscoresAllowed, HeaderRules requestRules) {
        Set<String> names = new HashSet<>();
        requestRules.names().forEach(name -> names.add(canonical(name)));
        return new ClientFields(underscoresAllowed, Set.copyOf(names));
    }

    /** Drops the head's fields spelled with an underscore that may not pass (none, by default). */
    public void filterHeaders(HttpHeaders headers) {
        List<String> dropped = null;
        for (var it = headers.iteratorCharSequence(); it.hasNext(); ) {
            CharSequence name = it.next().getKey();
            if (indexOfUnderscore(name) >= 0 && (!underscoresAllowed || owned(canonical(name)))) {
                if (dropped == null) {
                    dropped = new ArrayList<>(2);
                }
                dropped.add(name.toString());
            }
        }
        if (dropped != null) {
            dropped.forEach(headers::remove);
        }
    }

    /** Drops the trailer fields that may not pass: see the class comment. */
    public void filterTrailers(HttpHeaders trailers) {
        if (trailers.isEmpty()) {
            return;
        }
        List<String> dropped = null;
        for (var it = trailers.iteratorCharSequence(); it.hasNext(); ) {
            CharSequence name = it.next().getKey();
            String canonical = canonical(name);
            boolean underscored = indexOfUnderscore(name) >= 0;
            if (underscored && !underscoresAllowed || owned(canonical) || NOT_IN_TRAILERS.contains(canonical)) {
                if (dropped == null) {
                    dropped = new ArrayList<>(2);
                }
                dropped.add(name.toString());
            }
        }
        if (dropped != null) {
            dropped.forEach(trailers::remove);
        }
    }

    private boolean owned(String canonical) {
        if (OWNED.contains(canonical) || ruleNames.contains(canonical)) {
            return true;
        }
        for (String prefix : OWNED_PREFIXES) {
            if (canonical.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    /** The name as a CGI gateway compares it: lower case, '_' read as '-'. */
    static String canonical(CharSequence name) {
        return name.toString().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    private static int indexOfUnderscore(CharSequence name) {
        for (int i = 0; i < name.length(); i++) {
            if (name.charAt(i) == '_') {
                return i;
            }
        }
        return -1;
    }
}
