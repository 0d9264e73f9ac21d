package dev.portico.runtime.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.portico.crds.ProxySiteLoader;
import dev.portico.crds.v1alpha1.HeaderModifier;
import dev.portico.runtime.config.SiteCompiler;
import dev.portico.runtime.admission.RequestTarget;
import dev.portico.runtime.config.SiteConfig;
import dev.portico.runtime.forwarding.CidrSet;
import dev.portico.runtime.forwarding.ClientAddressResolver;
import dev.portico.runtime.forwarding.ForwardedHeaders;
import dev.portico.runtime.forwarding.IpAddresses;
import dev.portico.runtime.forwarding.TrustPolicy;
import dev.portico.runtime.headers.ClientFields;
import dev.portico.runtime.headers.HeaderRules;
import dev.portico.runtime.headers.HopByHopHeaders;
import dev.portico.runtime.routing.CompiledRoute;
import dev.portico.runtime.routing.HostNames;
import dev.portico.runtime.routing.PathNormaliser;
import dev.portico.runtime.routing.RequestHeaderLookup;
import dev.portico.runtime.routing.RouteResult;
import dev.portico.runtime.routing.Router;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Fuzzes what the proxy does with a request head before anything goes upstream: routing,
 * the client address and forwarded headers, header rules, hop-by-hop stripping and the
 * request target. All of it must take any input a client can send without throwing.
 *
 * <p>A normal build replays the seeds under {@code RequestHeadFuzzTestInputs/<method>/} as
 * regression tests; {@code JAZZER_FUZZ=1} fuzzes (see SECURITY.md, "Fuzzing").
 */
class RequestHeadFuzzTest {

    private static final String SITE = """
            apiVersion: portico.dev/v1alpha1
            kind: ProxySite
            metadata: {name: fuzz}
            spec:
              hosts: ["app.example.com", "*.example.org", "10.1.2.3"]
              trustedProxies: {cidrs: ["10.0.0.0/8", "fd00::/8"]}
              headers: {securityPreset: strict}
              routes:
                - match: {path: {type: Exact, value: /old}}
                  redirect: {path: /new, statusCode: 301}
                - match:
                    path: {type: PathPrefix, value: /api}
                    headers: [{name: X-Canary, value: "1"}]
                  backend: {service: canary, port: 8080}
                - match: {path: {type: PathPrefix, value: /api}, hosts: ["app.example.com"]}
                  backend: {service: api, port: 8080}
                - match: {path: {type: PathPrefix, value: /api/v2/}}
                  backend: {service: api-v2, port: 8080}
                - match: {path: {type: RegularExpression, value: "/files/[^/]+\\\\.(png|jpg)"}}
                  backend: {service: files, port: 80}
                - match: {path: {type: PathPrefix, value: /}, hosts: ["*.example.org"]}
                  respond: {status: 404, body: "Not Found"}
                - backend: {service: web, port: 3000}
            """;
    private static final SiteConfig SITE_CONFIG = SiteCompiler.compile(ProxySiteLoader.load(SITE), "sha256:x");
    private static final Router ROUTER = SITE_CONFIG.router();
    private static final Router ANY_HOST = SiteCompiler.compile(ProxySiteLoader.load(SITE
            .replace("hosts: [\"app.example.com\", \"*.example.org\", \"10.1.2.3\"]", "hosts: [\"*\"]")
            .replace(", hosts: [\"app.example.com\"]", "")
            .replace(", hosts: [\"*.example.org\"]", "")), "sha256:x").router();
    private static final List<String> EXACT_HOSTS = List.of("app.example.com", "10.1.2.3");

    private static final List<TrustPolicy> POLICIES = List.of(
            TrustPolicy.NOBODY,
            new TrustPolicy(CidrSet.of(List.of("10.0.0.0/8", "fd00::/8", "127.0.0.1")), 0),
            new TrustPolicy(CidrSet.of(List.of("0.0.0.0/0", "::/0")), 0),
            new TrustPolicy(CidrSet.EMPTY, 1),
            new TrustPolicy(CidrSet.EMPTY, 3));

    /** Header names the code under test treats specially, in a few spellings. */
    private static final List<String> NAMES = List.of(
            "Host", "host", "X-Forwarded-For", "x-forwarded-for", "X-Forwarded-Proto", "X-Forwarded-Host",
            "X-Forwarded-Port", "X-Forwarded-Whatever", "X-Real-IP", "Forwarded", "Connection", "connection",
            "Keep-Alive", "TE", "Trailer", "Transfer-Encoding", "Upgrade", "Proxy-Authorization", "proxy-",
            "x-http2-stream-id", "X-Canary", "Server", "X-Powered-By", "Cache-Control", "Via", "X-Frame-Options");

    /** Names a backend must only ever get from the proxy, in the spelling a CGI gateway compares (lower case, '-'). */
    private static final Set<String> PROXY_OWNED = Set.of("forwarded", "x-forwarded-for", "x-forwarded-proto",
            "x-forwarded-host", "x-forwarded-port", "x-real-ip", "host", "content-length", "transfer-encoding",
            "content-type");
    /** Of what RFC 9110 6.5.1 keeps out of trailers, what a backend merging trailers would act on. */
    private static final Set<String> NEVER_IN_TRAILERS = Set.of("authorization", "cookie", "proxy-authorization",
            "expect", "connection", "te", "upgrade");
    private static final List<String> FIELD_NAMES = List.of("X-Forwarded-For", "X_Forwarded_For", "x_forwarded-proto",
            "X-Forwarded_Host", "X_REAL_IP", "X-Real-Ip", "Forwarded", "Host", "HOST", "Content_Length",
            "Content-Type", "content_type", "Transfer_Encoding", "Authorization", "Cookie", "If_Match",
            "Content-Digest", "grpc-status", "X-Custom", "api_key", "Proxy_Authorization", "X-Http2-Stream-Id",
            "Accept_Encoding", "Expect", "TE", "Upgrade", "X-Site-Rule");

    @FuzzTest(maxDuration = "5s")
    void clientFields(FuzzedDataProvider data) {
        boolean underscores = data.consumeBoolean();
        ClientFields fields = ClientFields.of(underscores, HeaderRules.of(
                new HeaderModifier(Map.of("X-Site-Rule", "1"), null, null)));
        HttpHeaders headers = new DefaultHttpHeaders();
        HttpHeaders trailers = new DefaultHttpHeaders();
        for (int i = data.consumeInt(0, 12); i > 0; i--) {
            String name = data.consumeBoolean() ? data.pickValue(FIELD_NAMES) : data.consumeString(24);
            try {
                (data.consumeBoolean() ? headers : trailers).add(name, data.consumeString(12));
            } catch (IllegalArgumentException notAFieldName) {
                // Netty's codecs refuse such a name on the wire before it gets this far.
            }
        }
        long plainNames = headers.names().stream().filter(n -> n.indexOf('_') < 0).count();

        fields.filterHeaders(headers);
        fields.filterTrailers(trailers);

        for (String name : headers.names()) {
            String cgi = name.toLowerCase(Locale.ROOT).replace('_', '-');
            if (name.indexOf('_') >= 0) {
                assertThat(underscores).as("%s passed with underscores off", name).isTrue();
                assertThat(PROXY_OWNED.contains(cgi) || cgi.startsWith("x-forwarded-") || cgi.equals("x-site-rule"))
                        .as("%s reads as a field the proxy owns", name).isFalse();
            }
        }
        assertThat(headers.names().stream().filter(n -> n.indexOf('_') < 0).count())
                .as("names without an underscore are the header rules' and the forwarding's to handle").isEqualTo(plainNames);
        for (String name : trailers.names()) {
            String cgi = name.toLowerCase(Locale.ROOT).replace('_', '-');
            assertThat(underscores || name.indexOf('_') < 0).as("trailer %s passed with underscores off", name).isTrue();
            assertThat(PROXY_OWNED.contains(cgi) || NEVER_IN_TRAILERS.contains(cgi) || cgi.startsWith("x-forwarded-")
                    || cgi.startsWith("proxy-")).as("trailer %s passed", name).isFalse();
        }
    }

    @FuzzTest(maxDuration = "5s")
    void routing(FuzzedDataProvider data) {
        Router router = data.consumeBoolean() ? ROUTER : ANY_HOST;
        String authority = data.consumeString(80);
        String path = data.consumeString(200);
        List<String[]> headers = new ArrayList<>();
        int count = data.consumeInt(0, 4);
        for (int i = 0; i < count; i++) {
            headers.add(new String[] {name(data), data.consumeString(16)});
        }
        RequestHeaderLookup lookup = (name, value) -> headers.stream()
                .anyMatch(h -> h[0].equalsIgnoreCase(name) && h[1].equals(value));

        String host = HostNames.normalise(authority);
        RouteResult result = router.route(host, path, lookup);

        assertThat(router.route(host, path, lookup)).as("deterministic").isEqualTo(result);
        assertThat(result instanceof RouteResult.UnknownHost).isEqualTo(!router.servesHost(host));
        if (result instanceof RouteResult.Matched matched) {
            CompiledRoute route = matched.route();
            assertThat(route.path().matches(path)).as("path of %s", route.name()).isTrue();
            assertThat(route.hosts().isEmpty() || route.hosts().stream().anyMatch(p -> p.matches(host)))
                    .as("host of %s", route.name()).isTrue();
            assertThat(route.headers()).as("headers of %s", route.name())
                    .allMatch(c -> lookup.hasValue(c.name(), c.value()));
        }
        // Case, a port and a trailing dot never change the name a request is routed by.
        assertThat(host).isEqualTo(host.toLowerCase(Locale.ROOT));
        if (authority.indexOf(':') < 0 && !authority.startsWith("[")) {
            assertThat(HostNames.normalise(asciiUpperCase(authority) + ":8443")).isEqualTo(host);
            if (!authority.endsWith(".")) {
                assertThat(HostNames.normalise(authority + ".:443")).isEqualTo(host);
            }
        }
        for (String exact : EXACT_HOSTS) {
            String written = exact.indexOf(':') >= 0 ? "[" + exact + "]:443" : exact.toUpperCase(Locale.ROOT) + ".:80";
            assertThat(router.route(HostNames.normalise(written), path, lookup)).isNotEqualTo(RouteResult.UNKNOWN_HOST);
        }
    }

    @FuzzTest(maxDuration = "5s")
    void clientAddress(FuzzedDataProvider data) throws UnknownHostException {
        TrustPolicy policy = data.pickValue(POLICIES);
        InetAddress peer = address(data);
        List<String> forwardedFor = new ArrayList<>();
        int count = data.consumeInt(0, 4);
        for (int i = 0; i < count; i++) {
            forwardedFor.add(data.consumeString(100));
        }

        ClientAddressResolver.Resolution resolution = ClientAddressResolver.resolve(policy, peer, forwardedFor);

        assertThat(resolution.peerTrusted()).isEqualTo(policy.trustsPeer(peer));
        if (!resolution.peerTrusted()) {
            assertThat(resolution.client()).isEqualTo(peer);
            return;
        }
        Set<InetAddress> chain = new HashSet<>();
        for (String value : forwardedFor) {
            for (String entry : value.split(",")) {
                InetAddress parsed = entry.isBlank() ? null : IpAddresses.parse(entry);
                if (parsed != null) {
                    chain.add(parsed);
                }
            }
        }
        assertThat(resolution.client().equals(peer) || chain.contains(resolution.client()))
                .as("%s is the peer %s or from %s", resolution.client(), peer, forwardedFor)
                .isTrue();
    }

    @FuzzTest(maxDuration = "5s")
    void forwardedHeaders(FuzzedDataProvider data) throws UnknownHostException {
        TrustPolicy policy = data.pickValue(POLICIES);
        InetAddress peer = address(data);
        HttpHeaders headers = headers(data);
        // The Host as the client sent it; the codec only passes what a header may hold.
        String host = data.consumeString(80);
        if (!acceptedAsValue(host)) {
            return;
        }
        String scheme = data.consumeBoolean() ? "https" : "http";
        int port = data.consumeInt(1, 65535);

        ClientAddressResolver.Resolution resolution =
                ClientAddressResolver.resolve(policy, peer, headers.getAll(ForwardedHeaders.X_FORWARDED_FOR));
        ForwardedHeaders.apply(headers, resolution, IpAddresses.format(peer), scheme, host, port);

        assertNoControlCharacters(headers);
        assertThat(headers.getAll(ForwardedHeaders.X_FORWARDED_FOR)).hasSize(1);
        assertThat(headers.get(ForwardedHeaders.X_FORWARDED_FOR)).endsWith(IpAddresses.format(peer));
        assertThat(headers.getAll(ForwardedHeaders.X_REAL_IP)).containsExactly(IpAddresses.format(resolution.client()));
        if (!resolution.peerTrusted()) {
            assertThat(headers.get(ForwardedHeaders.X_FORWARDED_FOR)).isEqualTo(IpAddresses.format(peer));
            assertThat(headers.contains("forwarded")).isFalse();
        }
    }

    @FuzzTest(maxDuration = "5s")
    void headerRules(FuzzedDataProvider data) {
        Map<String, String> set = new LinkedHashMap<>();
        Map<String, String> add = new LinkedHashMap<>();
        List<String> remove = new ArrayList<>();
        int count = data.consumeInt(0, 6);
        for (int i = 0; i < count; i++) {
            String name = data.pickValue(NAMES);
            // What the crds validator lets through: no control character but tab, no leading whitespace.
            String value = data.consumeString(24).replaceAll("[\\x00-\\x08\\x0a-\\x1f\\x7f]", "").replaceAll("^[ \\t]+", "");
            switch (data.consumeInt(0, 2)) {
                case 0 -> set.put(name, value);
                case 1 -> add.put(name, value);
                default -> remove.add(name);
            }
        }
        HeaderRules rules = HeaderRules.of(new HeaderModifier(set, add, remove));
        HttpHeaders headers = headers(data);
        boolean tls = data.consumeBoolean();

        rules.apply(headers, tls);
        assertNoControlCharacters(headers);
        for (String name : remove) {
            if (!containsIgnoreCase(set.keySet(), name) && !containsIgnoreCase(add.keySet(), name)) {
                assertThat(headers.contains(name)).as("removed %s", name).isFalse();
            }
        }
        add.forEach((name, value) -> assertThat(headers.getAll(name)).as("added %s", name).contains(value));
        set.forEach((name, value) -> {
            if (!containsIgnoreCase(add.keySet(), name)
                    && set.keySet().stream().filter(n -> n.equalsIgnoreCase(name)).count() == 1) {
                assertThat(headers.getAll(name)).as("set %s", name).containsExactly(value);
            }
        });
        // The site's compiled response rules (the strict preset) take the same headers too.
        SITE_CONFIG.responseHeaders().apply(headers, tls);
        assertNoControlCharacters(headers);
    }

    @FuzzTest(maxDuration = "5s")
    void hopByHop(FuzzedDataProvider data) {
        HttpHeaders headers = headers(data);
        List<String> connectionNamed = new ArrayList<>();
        for (String value : headers.getAll(HttpHeaderNames.CONNECTION)) {
            for (String token : value.split(",")) {
                if (!token.trim().isEmpty()) {
                    connectionNamed.add(token.trim());
                }
            }
        }

        HopByHopHeaders.strip(headers);

        for (String name : connectionNamed) {
            assertThat(headers.contains(name)).as("%s named by Connection", name).isFalse();
        }
        for (CharSequence name : List.of(HttpHeaderNames.CONNECTION, "keep-alive", HttpHeaderNames.TE,
                HttpHeaderNames.TRAILER, HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderNames.UPGRADE)) {
            assertThat(headers.contains(name)).as("%s", name).isFalse();
        }
        for (String name : headers.names()) {
            String lower = name.toLowerCase(Locale.ROOT);
            assertThat(lower.startsWith("proxy-") && lower.length() > 6).as("%s", name).isFalse();
            assertThat(lower.startsWith("x-http2-") && lower.length() > 8).as("%s", name).isFalse();
        }
    }

    @FuzzTest(maxDuration = "5s")
    void requestTarget(FuzzedDataProvider data) {
        HttpVersion version = data.consumeBoolean() ? HttpVersion.HTTP_1_1 : HttpVersion.HTTP_1_0;
        List<String> hosts = new ArrayList<>();
        int count = data.consumeInt(0, 2);
        for (int i = 0; i < count; i++) {
            String host = data.consumeString(60);
            if (acceptedAsValue(host)) {
                hosts.add(host);
            }
        }
        String uri = data.consumeRemainingAsString();
        HttpRequest request;
        try {
            request = new DefaultHttpRequest(version, HttpMethod.GET, uri);
        } catch (IllegalArgumentException e) {
            return; // not a request line the decoder would produce
        }
        hosts.forEach(host -> request.headers().add(HttpHeaderNames.HOST, host));

        RequestTarget target = RequestTarget.parse(request, PathNormaliser.REJECT_ESCAPED_SLASHES);

        if (target == null) {
            return;
        }
        assertThat(hosts).hasSizeLessThanOrEqualTo(1);
        assertThat(target.uri()).startsWith("/").startsWith(target.path());
        assertThat(target.path()).doesNotContain("?");
        assertThat(target.path() + target.query()).isEqualTo(target.uri());
        assertThat(target.hostWithoutPort()).isNotNull();
        assertThat(PathNormaliser.REJECT_ESCAPED_SLASHES.normalise(target.rawPath()))
                .isEqualTo(new PathNormaliser.Normalised(target.path()));
        if (uri.startsWith("/")) {
            assertThat(target.uri()).isEqualTo(target.path() + uri.substring(target.rawPath().length()));
            assertThat(target.authority()).isEqualTo(hosts.isEmpty() ? "" : hosts.get(0));
        } else if (!hosts.isEmpty()) {
            assertThat(HostNames.normalise(target.authority())).isEqualTo(HostNames.normalise(hosts.get(0)));
        }
    }

    /**
     * The normaliser against an independent model of what a backend does with a path: decode every
     * escape once, then resolve dot segments and merge slashes. Whatever the normaliser lets
     * through, such a backend must see exactly the path the routes saw; what it refuses must hold
     * something a backend could read differently.
     */
    @FuzzTest(maxDuration = "5s")
    void pathNormaliser(FuzzedDataProvider data) {
        boolean keep = data.consumeBoolean();
        PathNormaliser normaliser = keep ? PathNormaliser.KEEP_ESCAPED_SLASHES : PathNormaliser.REJECT_ESCAPED_SLASHES;
        String raw = data.consumeRemainingAsString();

        PathNormaliser.Result result = normaliser.normalise(raw);

        String decoded = decodeOnce(raw, keep);
        if (!(result instanceof PathNormaliser.Normalised normalised)) {
            PathNormaliser.Rejection reason = ((PathNormaliser.Rejected) result).reason();
            String upper = raw.toUpperCase(Locale.ROOT);
            assertThat(decoded == null || !raw.startsWith("/") || raw.chars().anyMatch(c -> c <= ' ' || c == 0x7F)
                    || raw.indexOf('\\') >= 0 || raw.indexOf('#') >= 0 || upper.contains("%00")
                    || !keep && (upper.contains("%2F") || upper.contains("%5C")))
                    .as("%s refused (%s) for no reason", raw, reason).isTrue();
            return;
        }
        String path = normalised.path();
        assertThat(decoded).as("a path with an invalid escape passed: %s", raw).isNotNull();
        assertThat(path).startsWith("/").doesNotContain("//", "\\", "#").doesNotEndWith("/.").doesNotEndWith("/..")
                .doesNotContain("/./", "/../");
        assertThat(normaliser.normalise(path)).as("idempotent").isEqualTo(result);
        for (int i = path.indexOf('%'); i >= 0; i = path.indexOf('%', i + 1)) {
            String hex = path.substring(i + 1, i + 3);
            assertThat(hex).as("escape in %s", path).isUpperCase();
            int b = Integer.parseInt(hex, 16);
            assertThat(Character.isLetterOrDigit(b) && b < 0x80 || "-._~".indexOf(b) >= 0 || b == 0)
                    .as("%%%s left encoded in %s", hex, path).isFalse();
            assertThat(keep || b != '/' && b != '\\').as("escaped slash in %s", path).isTrue();
        }
        assertThat(decodeOnce(path, keep)).as("what a decoding backend sees of %s", raw)
                .isEqualTo(resolve(decoded));
    }

    /** Every escape decoded once (kept escaped slashes as such), or null for an invalid escape. */
    private static String decodeOnce(String raw, boolean keepEscapedSlashes) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c != '%') {
                out.append(c);
                continue;
            }
            if (i + 2 >= raw.length() || !isHex(raw.charAt(i + 1)) || !isHex(raw.charAt(i + 2))) {
                return null;
            }
            char b = (char) Integer.parseInt(raw.substring(i + 1, i + 3), 16);
            out.append(keepEscapedSlashes && (b == '/' || b == '\\') ? raw.substring(i, i + 3).toUpperCase(Locale.ROOT)
                    : String.valueOf(b));
            i += 2;
        }
        return out.toString();
    }

    private static boolean isHex(char c) {
        return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F';
    }

    /** RFC 3986 remove_dot_segments over a list of segments, empty ones dropped, a trailing slash kept. */
    private static String resolve(String path) {
        java.util.ArrayDeque<String> stack = new java.util.ArrayDeque<>();
        String[] segments = path.substring(1).split("/", -1);
        boolean trailing = false;
        for (String segment : segments) {
            trailing = segment.isEmpty() || segment.equals(".") || segment.equals("..");
            if (segment.equals("..")) {
                stack.pollLast();
            } else if (!trailing) {
                stack.addLast(segment);
            }
        }
        return stack.isEmpty() ? "/" : "/" + String.join("/", stack) + (trailing ? "/" : "");
    }

    private static String name(FuzzedDataProvider data) {
        return data.consumeBoolean() ? data.pickValue(NAMES) : data.consumeString(20);
    }

    /** Up to eight headers, each kept only when Netty's validating headers accept it, as the codec would. */
    private static HttpHeaders headers(FuzzedDataProvider data) {
        HttpHeaders headers = new DefaultHttpHeaders();
        int count = data.consumeInt(0, 8);
        for (int i = 0; i < count; i++) {
            String name = name(data);
            String value = data.consumeString(60);
            try {
                headers.add(name, value);
            } catch (IllegalArgumentException e) {
                // not a header the codec would have passed on
            }
        }
        return headers;
    }

    private static boolean acceptedAsValue(String value) {
        try {
            new DefaultHttpHeaders().add("x", value);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static InetAddress address(FuzzedDataProvider data) throws UnknownHostException {
        byte[] address = new byte[data.consumeBoolean() ? 4 : 16];
        byte[] given = data.consumeBytes(address.length);
        System.arraycopy(given, 0, address, 0, given.length);
        return InetAddress.getByAddress(address);
    }

    private static void assertNoControlCharacters(HttpHeaders headers) {
        for (Map.Entry<String, String> header : headers) {
            assertThat(header.getValue()).as("value of %s", header.getKey()).doesNotContain("\r", "\n", "\0");
            assertThat(header.getKey()).as("name").doesNotContain("\r", "\n", "\0");
        }
    }

    private static boolean containsIgnoreCase(Set<String> names, String name) {
        return names.stream().anyMatch(n -> n.equalsIgnoreCase(name));
    }

    private static String asciiUpperCase(String text) {
        StringBuilder upper = new StringBuilder(text.length());
        text.chars().forEach(c -> upper.append((char) (c >= 'a' && c <= 'z' ? c - 32 : c)));
        return upper.toString();
    }
}
