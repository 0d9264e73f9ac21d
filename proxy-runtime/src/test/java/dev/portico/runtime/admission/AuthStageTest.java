package dev.portico.runtime.admission;

import static org.assertj.core.api.Assertions.assertThat;

import at.favre.lib.crypto.bcrypt.BCrypt;
import dev.portico.crds.ProxySiteLoader;
import dev.portico.runtime.auth.BasicAuthPolicy;
import dev.portico.runtime.config.SiteCompiler;
import dev.portico.runtime.config.SiteConfig;
import dev.portico.runtime.policy.InFlightLimiter;
import dev.portico.runtime.policy.RateLimiters;
import dev.portico.runtime.tls.SecretStore;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/**
 * The auth stage as pure decisions, without sockets: where it sits, which routes it asks about, what it decides for
 * each kind of credentials, and how admission resumes after it. ForwardAuthTest and BasicAuthTest prove the same
 * end to end.
 */
class AuthStageTest {

    private static final String HASH = BCrypt.withDefaults().hashToString(4, "s3cret".toCharArray());
    private static final SecretStore SECRETS = (name, file) -> {
        if (name.equals("admins") && file.equals(SecretStore.HTPASSWD)) {
            return ("# team\nalice:" + HASH + "\n").getBytes(StandardCharsets.UTF_8);
        }
        throw new NoSuchFileException(name + "/" + file);
    };

    private final InFlightLimiter inFlight = new InFlightLimiter();

    private static SiteConfig site(String auth, String rateLimit) {
        return SiteCompiler.compile(ProxySiteLoader.load("""
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: t}
                spec:
                  hosts: [app.example.com]
                %s%s
                  routes:
                    - match: {path: {value: /outpost.goauthentik.io/}}
                      backend: {service: authentik, port: 9000}
                      auth: {enabled: false}
                    - match: {path: {value: /basic}}
                      backend: {service: web, port: 3000}
                      auth: {basic: {secretName: admins, realm: Team}}
                    - match: {path: {value: /}}
                      backend: {service: web, port: 3000}
                """.formatted(auth.indent(2), rateLimit.indent(2))), "sha256:t", SiteConfig.NO_REVISION, null, SECRETS,
                new RateLimiters());
    }

    private static final String FORWARD = """
            auth:
              forward:
                backend: {service: authentik, port: 9000}
                path: /outpost.goauthentik.io/auth/traefik
                responseHeaders: [X-authentik-username]
            """;

    private AdmissionRequest request(String uri, String... headers) {
        HttpRequest head = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri);
        head.headers().set(HttpHeaderNames.HOST, "app.example.com");
        for (int i = 0; i < headers.length; i += 2) {
            head.headers().set(headers[i], headers[i + 1]);
        }
        return new AdmissionRequest(head, InetAddress.getLoopbackAddress(), false, false, inFlight);
    }

    private static String basic(String userColonPassword) {
        return "Basic " + Base64.getEncoder().encodeToString(userColonPassword.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void authComesAfterRoutingAndTheRateLimitAndIsLeftOutWithoutAuth() {
        assertThat(site(FORWARD, "rateLimit: {requestsPerSecond: 1}").admission().stages())
                .extracting(Object::getClass).containsSubsequence(RouteStage.class, RateLimitStage.class,
                        AuthStage.class, RouteActionStage.class);
        SiteConfig none = SiteCompiler.compile(ProxySiteLoader.load("""
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: t}
                spec:
                  hosts: [app.example.com]
                  routes: [{backend: {service: web, port: 3000}}]
                """), "sha256:t");
        assertThat(none.admission().stages()).extracting(Object::getClass).doesNotContain(AuthStage.class);
    }

    @Test
    void forwardAuthSuspendsAdmissionAndResumesToTheRoutesAction() {
        SiteConfig site = site(FORWARD, "");
        AdmissionRequest request = request("/app");

        Decision decision = site.admission().decide(request);
        assertThat(decision).isInstanceOf(Decision.Authorize.class);
        assertThat(((Decision.Authorize) decision).policy().uri()).isEqualTo("/outpost.goauthentik.io/auth/traefik");
        assertThat(site.admission().resume(request)).isInstanceOf(Decision.Forward.class);
    }

    @Test
    void aRouteOptsOutOrBringsItsOwn() {
        SiteConfig site = site(FORWARD, "");

        assertThat(site.admission().decide(request("/outpost.goauthentik.io/start"))).isInstanceOf(Decision.Forward.class);
        assertThat(site.admission().decide(request("/basic"))).isInstanceOf(Decision.Unauthorized.class);
    }

    @Test
    void basicAuthChallengesVerifiesOffTheLoopAndThenRemembers() {
        SiteConfig site = site("", "");

        Decision none = site.admission().decide(request("/basic"));
        assertThat(none).isInstanceOf(Decision.Unauthorized.class);
        Decision.Unauthorized challenge = (Decision.Unauthorized) none;
        assertThat(challenge.challenge()).isEqualTo("Basic realm=\"Team\", charset=\"UTF-8\"");
        assertThat(challenge.failedAttempt()).isFalse();

        Decision bearer = site.admission().decide(request("/basic", "Authorization", "Bearer abc"));
        assertThat(((Decision.Unauthorized) bearer).failedAttempt()).isFalse();
        Decision garbage = site.admission().decide(request("/basic", "Authorization", "Basic !!!"));
        assertThat(((Decision.Unauthorized) garbage).failedAttempt()).isTrue();
        Decision noColon = site.admission().decide(request("/basic", "Authorization", basic("alice")));
        assertThat(((Decision.Unauthorized) noColon).failedAttempt()).isTrue();

        AdmissionRequest first = request("/basic", "Authorization", basic("alice:s3cret"));
        Decision verify = site.admission().decide(first);
        assertThat(verify).isInstanceOf(Decision.VerifyPassword.class);
        Decision.VerifyPassword password = (Decision.VerifyPassword) verify;
        assertThat(password.policy().verify(password.credentials())).isTrue();
        assertThat(site.admission().resume(first)).isInstanceOf(Decision.Forward.class);

        // Verified once: the next request of the same browser costs no bcrypt.
        assertThat(site.admission().decide(request("/basic", "Authorization", basic("alice:s3cret"))))
                .isInstanceOf(Decision.Forward.class);
        // The scheme's name is case-insensitive (RFC 9110 11.1).
        assertThat(site.admission().decide(request("/basic", "Authorization",
                "bAsIc " + basic("alice:s3cret").substring(6)))).isInstanceOf(Decision.Forward.class);
    }

    @Test
    void wrongPasswordsAndUnknownUsersAreNeverRemembered() {
        SiteConfig site = site("", "");
        for (String credentials : new String[] {"alice:wrong", "mallory:s3cret", "alice:s3cret2", ":"}) {
            Decision decision = site.admission().decide(request("/basic", "Authorization", basic(credentials)));
            Decision.VerifyPassword password = (Decision.VerifyPassword) decision;
            BasicAuthPolicy policy = password.policy();
            assertThat(policy.verify(password.credentials())).as(credentials).isFalse();
            assertThat(site.admission().decide(request("/basic", "Authorization", basic(credentials))))
                    .as(credentials).isInstanceOf(Decision.VerifyPassword.class);
            assertThat(password.refusal().asFailure().failedAttempt()).isTrue();
            assertThat(password.refusal().headers()).isNotNull();
        }
    }

    @Test
    void theRateLimitAnswersBeforeAuthSoGuessesCostTokens() {
        SiteConfig site = site("", "rateLimit: {requestsPerSecond: 1, burst: 1}");

        assertThat(site.admission().decide(request("/basic", "Authorization", basic("alice:x"))))
                .isInstanceOf(Decision.VerifyPassword.class);
        Decision throttled = site.admission().decide(request("/basic", "Authorization", basic("alice:y")));
        assertThat(throttled).isInstanceOf(Decision.Respond.class);
        assertThat(((Decision.Respond) throttled).status()).isEqualTo(HttpResponseStatus.TOO_MANY_REQUESTS);
    }
}
