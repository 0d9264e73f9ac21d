package dev.portico.runtime.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.runtime.admission.AdmissionRequest;
import dev.portico.runtime.admission.Decision;
import dev.portico.runtime.auth.ForwardAuthPolicy;
import dev.portico.runtime.config.SiteConfig;
import dev.portico.runtime.config.SiteYaml;
import dev.portico.runtime.policy.InFlightLimiter;
import dev.portico.runtime.routing.CompiledRoute;
import dev.portico.runtime.routing.RouteAction;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The head of a forward-auth subrequest, built without sockets: what the auth service is told, and what not. */
class ForwardAuthRequestsTest {

    private static final ForwardAuthPolicy POLICY = new ForwardAuthPolicy(
            new RouteAction.UpstreamTarget("authentik", 9000, false, "authentik", false),
            "/outpost.goauthentik.io/auth/traefik?x=1", List.of(AsciiString.of("X-authentik-username")),
            Duration.ofSeconds(5));
    private static final String ROUTES = """
            hosts: [app.example.com]
            routes: [{backend: {service: web, port: 3000}}]
            """;

    /** Admission finds the route, the target and the client, as for a real request; then the subrequest is built. */
    private static FullHttpRequest build(HttpRequest request, boolean trusted, boolean tls) throws Exception {
        SiteConfig site = SiteYaml.compile((trusted ? "trustedProxies: {cidrs: [10.0.0.0/8]}\n" : "") + ROUTES);
        AdmissionRequest admission = new AdmissionRequest(request, InetAddress.getByName("10.0.0.9"), tls, false,
                new InFlightLimiter());
        CompiledRoute route = ((Decision.Forward) site.admission().decide(admission)).route();
        return ForwardAuthRequests.build(POLICY, request, admission.target(), route, admission.resolution(),
                "10.0.0.9", tls);
    }

    private static HttpRequest post(String uri, String... headers) {
        HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, uri);
        request.headers().set("Host", "app.example.com:8443");
        for (int i = 0; i < headers.length; i += 2) {
            request.headers().add(headers[i], headers[i + 1]);
        }
        return request;
    }

    @Test
    void theSubrequestCarriesTheClientsHeadButNotItsBody() throws Exception {
        HttpRequest request = post("/a/./b//c?q=%2e", "Cookie", "s=1", "Content-Length", "10",
                "Expect", "100-continue", "Connection", "keep-alive, X-Hop", "X-Hop", "1", "Upgrade", "websocket");
        FullHttpRequest sub = build(request, false, true);
        HttpHeaders h = sub.headers();

        assertThat(sub.method()).isEqualTo(HttpMethod.POST);
        assertThat(sub.uri()).isEqualTo("/outpost.goauthentik.io/auth/traefik?x=1");
        assertThat(sub.content().readableBytes()).isZero();
        assertThat(h.get("Host")).isEqualTo("app.example.com:8443");
        assertThat(h.get("Cookie")).isEqualTo("s=1");
        for (String gone : new String[] {"Content-Length", "Transfer-Encoding", "Expect", "Connection", "X-Hop",
                "Upgrade"}) {
            assertThat(h.contains(gone)).as(gone).isFalse();
        }
        assertThat(h.get("X-Forwarded-Method")).isEqualTo("POST");
        assertThat(h.get("X-Forwarded-Uri")).isEqualTo("/a/b/c?q=%2e");
        assertThat(h.get("X-Forwarded-Proto")).isEqualTo("https");
        assertThat(h.get("X-Forwarded-Host")).isEqualTo("app.example.com:8443");
        assertThat(h.get("X-Forwarded-For")).isEqualTo("10.0.0.9");
        assertThat(h.get("X-Original-Method")).isEqualTo("POST");
        assertThat(h.get("X-Original-URL")).isEqualTo("https://app.example.com:8443/a/b/c?q=%2e");
        // The client's head is left as it was: it still goes upstream after the approval.
        assertThat(request.headers().get("Content-Length")).isEqualTo("10");
    }

    @Test
    void whereTheRequestWasGoingIsAlwaysTheProxysEvenFromATrustedPeer() throws Exception {
        FullHttpRequest sub = build(post("/real", "X-Forwarded-Uri", "/forged", "X-Forwarded-Method", "GET",
                "X-Original-URL", "https://evil/", "X-Forwarded-Proto", "https"), true, false);

        assertThat(sub.headers().getAll("X-Forwarded-Uri")).containsExactly("/real");
        assertThat(sub.headers().getAll("X-Forwarded-Method")).containsExactly("POST");
        assertThat(sub.headers().getAll("X-Original-URL")).containsExactly("http://app.example.com:8443/real");
        // A trusted proxy's scheme is kept, as for every backend.
        assertThat(sub.headers().get("X-Forwarded-Proto")).isEqualTo("https");
    }

    @Test
    void theAuthOutputsAreStrippedFromTheClientsRequest() {
        HttpRequest request = post("/", "x-AUTHENTIK-username", "root", "X-Other", "kept");
        POLICY.stripOutputs(request.headers());

        assertThat(request.headers().contains("X-authentik-username")).isFalse();
        assertThat(request.headers().get("X-Other")).isEqualTo("kept");
    }

    @Test
    void anHttp10RequestWithoutHostAsksTheAuthServiceUnderItsOwnAuthority() throws Exception {
        SiteConfig site = SiteYaml.compile("hosts: [\"*\"]\nroutes: [{backend: {service: web, port: 3000}}]\n");
        HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_0, HttpMethod.GET, "/page");
        AdmissionRequest admission = new AdmissionRequest(request, InetAddress.getByName("10.0.0.9"), false, false,
                new InFlightLimiter());
        CompiledRoute route = ((Decision.Forward) site.admission().decide(admission)).route();

        FullHttpRequest sub = ForwardAuthRequests.build(POLICY, request, admission.target(), route,
                admission.resolution(), "10.0.0.9", false);

        assertThat(sub.protocolVersion()).isEqualTo(HttpVersion.HTTP_1_1);
        assertThat(sub.headers().get("Host")).isEqualTo("authentik:9000");
    }
}
