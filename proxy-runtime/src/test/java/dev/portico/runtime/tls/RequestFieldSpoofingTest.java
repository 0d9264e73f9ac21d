package dev.portico.runtime.tls;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.runtime.testing.HeaderField;
import dev.portico.runtime.testing.RawHttpClient;
import dev.portico.runtime.testing.RawResponse;
import dev.portico.runtime.testing.RecordedRequest;
import dev.portico.runtime.testing.RunningProxy;
import dev.portico.runtime.testing.TestBackend;
import dev.portico.runtime.tls.TestCertificates.KeyFormat;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 16, items 3 and 4: request fields a client spells so that a CGI-style backend (WSGI, PHP,
 * Rack) reads them as ones the proxy owns, and request trailers that name fields the proxy
 * owns or RFC 9110 6.5.1 keeps out of trailers. Every variant over HTTP/1.1 (plain listener, raw
 * bytes, a chunked body) and HTTP/2 (TLS listener, raw frames, trailers as HEADERS ending the
 * stream), against a site with the default {@code underscoresInHeaders: false} and one that
 * allows underscores. Both sites set {@code X-User} on every request, a name the proxy then owns.
 *
 * <p>What the backend sees is also read the way CGI reads it (upper case, '-' as '_'): the
 * spoofed value must never appear under the name of a field the proxy wrote.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(180)
class RequestFieldSpoofingTest {

    private static final String SPOOF = "6.6.6.6";
    private static final String BODY = "hello";

    enum Protocol { HTTP_1_1, HTTP_2 }

    enum Mode { DEFAULT, UNDERSCORES_ALLOWED }

    @TempDir
    static Path dir;
    TestCertificates.Ca ca;
    TestBackend backend;
    final Map<Mode, RunningProxy> proxies = new LinkedHashMap<>();

    @BeforeAll
    void start() {
        ca = TestCertificates.newCa("Portico Test CA");
        backend = TestBackend.start("app");
        for (Mode mode : Mode.values()) {
            Path siteDir = dir.resolve(mode.name().toLowerCase(Locale.ROOT));
            TestCertificates.write(siteDir.resolve("secrets"), "site-tls",
                    ca.issue(TestCertificates.leaf("site").ec().sans("localhost")), KeyFormat.TRADITIONAL);
            proxies.put(mode, RunningProxy.start(siteDir, """
                    apiVersion: portico.dev/v1alpha1
                    kind: ProxySite
                    metadata: {name: spelling, generation: 1}
                    spec:
                      hosts: ["localhost"]
                      tls:
                        certificates: [{secretName: site-tls}]
                        httpRedirect: false
                      headers:
                        underscoresInHeaders: %s
                        request: {set: {X-User: proxy}}
                      routes:
                        - match: {path: {value: /}}
                          backend: {service: 127.0.0.1, port: %d}
                    """.formatted(mode == Mode.UNDERSCORES_ALLOWED, backend.port())));
        }
    }

    @AfterAll
    void stop() {
        proxies.values().forEach(RunningProxy::close);
        backend.close();
    }

    // ---- header names spelled with underscores (item 3) ---------------------------------------

    /** Names that read, '_' as '-', as a field the proxy writes, removes or frames by. */
    static final List<String> OWNED_SPELLINGS = List.of(
            "X_Forwarded_For", "X-Forwarded_For", "X_Forwarded-For", "x_forwarded_for", "X_FORWARDED_FOR",
            "X_Real_IP", "X_Real-Ip", "X-Real_IP", "X_Forwarded_Proto", "X_Forwarded_Host", "X_Forwarded_Port",
            "X_Forwarded_Prefix", "X-Forwarded_Ssl", "Content_Length", "Transfer_Encoding", "Content_Type",
            "Keep_Alive", "Proxy_Authorization", "Proxy_Connection", "X_Http2_Stream_Id", "X_User");

    /** Names with an underscore that read as nothing the proxy owns. */
    static final List<String> INNOCENT_SPELLINGS = List.of("X_Custom", "api_key", "_Leading", "Trailing_",
            "X__Forwarded__For", "X-User_");

    Stream<Arguments> spelledHeaders() {
        List<Arguments> all = new ArrayList<>();
        for (Protocol protocol : Protocol.values()) {
            for (Mode mode : Mode.values()) {
                OWNED_SPELLINGS.forEach(name -> all.add(Arguments.of(protocol, mode, name, true)));
                INNOCENT_SPELLINGS.forEach(name -> all.add(Arguments.of(protocol, mode, name, false)));
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("spelledHeaders")
    void anUnderscoreSpellingNeverReachesTheBackendAsAFieldTheProxyOwns(Protocol protocol, Mode mode, String name,
                                                                        boolean owned) throws Exception {
        RecordedRequest seen = send(protocol, mode, List.<String[]>of(new String[] {name, SPOOF}), List.of());

        List<String> asCgiReadsIt = cgiView(seen.headers()).getOrDefault(cgi(name), List.of());
        if (mode == Mode.UNDERSCORES_ALLOWED && !owned) {
            assertThat(asCgiReadsIt).as("%s in %s", name, seen).contains(SPOOF);
        } else {
            assertThat(asCgiReadsIt).as("%s in %s", name, seen).doesNotContain(SPOOF);
        }
        if (mode == Mode.DEFAULT) {
            assertThat(seen.headers()).as("no name with '_' by default").noneMatch(f -> f.name().contains("_"));
        } else if (!owned) {
            assertThat(seen.headers(protocol == Protocol.HTTP_2 ? name.toLowerCase(Locale.ROOT) : name))
                    .as("allowed and owned by nobody: forwarded").containsExactly(SPOOF);
        }
        assertProxyFieldsIntact(seen, protocol);
    }

    /** Every spelling at once, and the real fields too: still one value each, the proxy's. */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("protocolsAndModes")
    void allSpellingsAtOnceLeaveOneValuePerOwnedField(Protocol protocol, Mode mode) throws Exception {
        List<String[]> fields = new ArrayList<>();
        fields.add(new String[] {"X-Forwarded-For", SPOOF});
        fields.add(new String[] {"X-Real-IP", SPOOF});
        OWNED_SPELLINGS.forEach(name -> fields.add(new String[] {name, SPOOF}));

        RecordedRequest seen = send(protocol, mode, fields, List.of());

        Map<String, List<String>> cgi = cgiView(seen.headers());
        assertThat(cgi.get("X_FORWARDED_FOR")).as("%s", seen).containsExactly("127.0.0.1");
        assertThat(cgi.get("X_REAL_IP")).as("%s", seen).containsExactly("127.0.0.1");
        assertThat(cgi.get("X_USER")).as("%s", seen).containsExactly("proxy");
        assertThat(cgi.values()).as("%s", seen).noneMatch(values -> values.contains(SPOOF));
        assertProxyFieldsIntact(seen, protocol);
    }

    Stream<Arguments> protocolsAndModes() {
        List<Arguments> all = new ArrayList<>();
        for (Protocol protocol : Protocol.values()) {
            for (Mode mode : Mode.values()) {
                all.add(Arguments.of(protocol, mode));
            }
        }
        return all.stream();
    }

    // ---- request trailers (item 4) -------------------------------------------------------------

    /**
     * Trailers the proxy must drop: fields it owns, and what RFC 9110 6.5.1 keeps out of
     * trailers. The boolean: also over HTTP/2 (which refuses connection-specific fields itself).
     */
    static final List<Object[]> FORBIDDEN_TRAILERS = List.of(
            new Object[] {"X-Forwarded-For", true}, new Object[] {"X-Forwarded-Proto", true},
            new Object[] {"X-Forwarded-Host", true}, new Object[] {"X-Forwarded-Port", true},
            new Object[] {"X-Real-IP", true}, new Object[] {"Forwarded", true}, new Object[] {"X-User", true},
            new Object[] {"X_Forwarded_For", true}, new Object[] {"X_Real_IP", true},
            new Object[] {"Host", true}, new Object[] {"Authorization", true}, new Object[] {"Cookie", true},
            new Object[] {"Proxy-Authorization", true}, new Object[] {"Content-Type", true},
            new Object[] {"Content-Encoding", true}, new Object[] {"Content-Range", true},
            new Object[] {"Content-Language", true}, new Object[] {"Content-Location", true},
            new Object[] {"Content_Length", true}, new Object[] {"Transfer_Encoding", true},
            new Object[] {"If-Match", true}, new Object[] {"If-None-Match", true},
            new Object[] {"If-Modified-Since", true}, new Object[] {"If-Unmodified-Since", true},
            new Object[] {"If-Range", true}, new Object[] {"Range", true}, new Object[] {"Cache-Control", true},
            new Object[] {"Pragma", true}, new Object[] {"Max-Forwards", true}, new Object[] {"Expect", true},
            new Object[] {"Accept", true}, new Object[] {"Accept-Encoding", true},
            new Object[] {"Accept-Language", true}, new Object[] {"Accept-Charset", true},
            new Object[] {"X-Http2-Stream-Id", true},
            new Object[] {"Content-Length", false}, new Object[] {"Transfer-Encoding", false},
            new Object[] {"Trailer", false}, new Object[] {"TE", false}, new Object[] {"Connection", false},
            new Object[] {"Keep-Alive", false}, new Object[] {"Upgrade", false});

    /** Trailers that are what trailers are for: they pass. */
    static final List<String> ALLOWED_TRAILERS = List.of("X-Checksum", "Content-Digest", "Repr-Digest",
            "Grpc-Trace-Bin");

    Stream<Arguments> forbiddenTrailers() {
        List<Arguments> all = new ArrayList<>();
        for (Protocol protocol : Protocol.values()) {
            for (Object[] trailer : FORBIDDEN_TRAILERS) {
                if (protocol == Protocol.HTTP_1_1 || (boolean) trailer[1]) {
                    all.add(Arguments.of(protocol, trailer[0]));
                }
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("forbiddenTrailers")
    void aTrailerTheProxyOwnsOrTheRfcForbidsIsDropped(Protocol protocol, String name) throws Exception {
        for (Mode mode : Mode.values()) {
            RecordedRequest seen = send(protocol, mode, List.of(),
                    List.of(new String[] {name, SPOOF}, new String[] {"X-Checksum", "sum"}));

            assertThat(seen.trailers()).as("%s %s", mode, seen).containsExactly(new HeaderField(
                    protocol == Protocol.HTTP_2 ? "x-checksum" : "X-Checksum", "sum"));
            assertProxyFieldsIntact(seen, protocol);
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("protocolsAndModes")
    void allForbiddenTrailersAtOnceLeaveOnlyTheAllowedOnes(Protocol protocol, Mode mode) throws Exception {
        List<String[]> trailers = new ArrayList<>();
        ALLOWED_TRAILERS.forEach(name -> trailers.add(new String[] {name, "ok"}));
        FORBIDDEN_TRAILERS.stream().filter(t -> protocol == Protocol.HTTP_1_1 || (boolean) t[1])
                .forEach(t -> trailers.add(new String[] {(String) t[0], SPOOF}));
        trailers.add(new String[] {"X_Custom", "ok"});

        RecordedRequest seen = send(protocol, mode, List.of(), trailers);

        List<String> expected = new ArrayList<>(ALLOWED_TRAILERS);
        if (mode == Mode.UNDERSCORES_ALLOWED) {
            expected.add("X_Custom");
        }
        assertThat(seen.trailers()).as("%s", seen).extracting(f -> f.name().toLowerCase(Locale.ROOT))
                .containsExactlyElementsOf(expected.stream().map(n -> n.toLowerCase(Locale.ROOT)).toList());
        assertThat(seen.trailers()).extracting(HeaderField::value).containsOnly("ok");
        assertProxyFieldsIntact(seen, protocol);
    }

    @Test
    void http2TrailersTravelUpstreamInAChunkedBody() throws Exception {
        RecordedRequest seen = send(Protocol.HTTP_2, Mode.DEFAULT, List.of(),
                List.<String[]>of(new String[] {"x-checksum", "sum"}));

        assertThat(seen.chunked()).isTrue();
        assertThat(seen.trailers()).containsExactly(new HeaderField("x-checksum", "sum"));
    }

    // ---- helpers -------------------------------------------------------------------------------

    private void assertProxyFieldsIntact(RecordedRequest seen, Protocol protocol) {
        assertThat(seen.complete()).isTrue();
        assertThat(seen.bodyPrefixText()).isEqualTo(BODY);
        assertThat(seen.headers("X-Forwarded-For")).as("%s", seen).containsExactly("127.0.0.1");
        assertThat(seen.headers("X-Real-IP")).as("%s", seen).containsExactly("127.0.0.1");
        assertThat(seen.headers("X-Forwarded-Proto")).as("%s", seen)
                .containsExactly(protocol == Protocol.HTTP_2 ? "https" : "http");
        assertThat(seen.headers("X-User")).as("%s", seen).containsExactly("proxy");
        assertThat(seen.headers("Host")).as("%s", seen).hasSize(1);
    }

    /** One POST with {@code headers}, a 5-byte body and {@code trailers}; what the backend recorded. */
    private RecordedRequest send(Protocol protocol, Mode mode, List<String[]> headers, List<String[]> trailers)
            throws Exception {
        RunningProxy proxy = proxies.get(mode);
        if (protocol == Protocol.HTTP_1_1) {
            StringBuilder raw = new StringBuilder("POST /spelling HTTP/1.1\r\nHost: localhost\r\n"
                    + "Transfer-Encoding: chunked\r\nConnection: close\r\n");
            headers.forEach(h -> raw.append(h[0]).append(": ").append(h[1]).append("\r\n"));
            raw.append("\r\n").append(Integer.toHexString(BODY.length())).append("\r\n").append(BODY)
                    .append("\r\n0\r\n");
            trailers.forEach(t -> raw.append(t[0]).append(": ").append(t[1]).append("\r\n"));
            raw.append("\r\n");
            try (RawHttpClient client = RawHttpClient.connect(proxy.httpPort())) {
                client.send(raw.toString());
                RawResponse response = client.readResponse();
                assertThat(response.status()).as("%s", response).isEqualTo(200);
            }
        } else {
            try (RawHttp2Client client = RawHttp2Client.connect(ca, proxy.runtime().httpsPort())) {
                client.headers(1, "POST", "/spelling", lowerCase(headers), false)
                        .data(1, BODY, false)
                        .trailers(1, lowerCase(trailers))
                        .flush();
                client.awaitEndOf(1);
                assertThat(client.seen(Duration.ZERO)).contains("HEADERS 1 :status=200");
            }
        }
        return backend.takeRequest();
    }

    /** HTTP/2 field names are lower case (RFC 9113 8.2.1); the proxy refuses others. */
    private static List<String[]> lowerCase(List<String[]> fields) {
        return fields.stream().map(f -> new String[] {f[0].toLowerCase(Locale.ROOT), f[1]}).toList();
    }

    /** The fields as a CGI gateway names them (RFC 3875 4.1.18): upper case, '-' as '_' (without HTTP_). */
    private static Map<String, List<String>> cgiView(List<HeaderField> fields) {
        Map<String, List<String>> view = new LinkedHashMap<>();
        fields.forEach(f -> view.computeIfAbsent(cgi(f.name()), k -> new ArrayList<>()).add(f.value()));
        return view;
    }

    private static String cgi(String name) {
        return name.toUpperCase(Locale.ROOT).replace('-', '_');
    }
}
