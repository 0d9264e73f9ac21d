package dev.portico.runtime.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.crds.v1alpha1.Cors;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** CORS decisions as pure functions: which origins, methods and headers pass, and what each response carries. */
class CorsPolicyTest {

    private static final List<String> SAFELISTED = List.of("GET", "HEAD", "POST");

    private static CorsPolicy policy(List<String> origins, List<String> methods, List<String> headers,
                                     List<String> expose, boolean credentials) {
        return CorsPolicy.of(new Cors(origins, methods, headers, expose, credentials, 600, true));
    }

    private static final CorsPolicy LISTED = policy(
            List.of("https://app.example.com", "https://*.example.org", "http://localhost:3000", "HTTPS://Upper.example.com:443"),
            List.of("PUT", "DELETE"), List.of("Content-Type", "X-Request-Id"), List.of("X-Total", "ETag"), true);

    private static HttpRequest request(HttpMethod method, String... headers) {
        HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, method, "/");
        for (int i = 0; i < headers.length; i += 2) {
            request.headers().add(headers[i], headers[i + 1]);
        }
        return request;
    }

    private static HttpRequest preflight(String origin, String method, String headers) {
        HttpRequest request = request(HttpMethod.OPTIONS, "Origin", origin, "Access-Control-Request-Method", method);
        if (headers != null) {
            request.headers().set("Access-Control-Request-Headers", headers);
        }
        return request;
    }

    @ParameterizedTest
    @CsvSource({
        "https://app.example.com, true",
        "HTTPS://APP.EXAMPLE.COM, true",
        "http://app.example.com, false",
        "https://app.example.com:8443, false",
        "https://evil-app.example.com, false",
        "https://app.example.com.evil.net, false",
        "https://a.example.org, true",
        "https://a.b.example.org, true",
        "https://example.org, false",
        "https://.example.org, false",
        "https://a.example.org:8443, false",
        "https://evil.net/.example.org, false",
        "https://a@b.example.org, false",
        "http://a.example.org, false",
        "http://localhost:3000, true",
        "http://localhost, false",
        "https://upper.example.com, true",
        "null, false",
    })
    void originsMatchExactlyOrBySubDomainWithTheirSchemeAndPort(String origin, boolean allowed) {
        assertThat(LISTED.allowsOrigin(origin)).as(origin).isEqualTo(allowed);
    }

    @Test
    void starAllowsAnyOrigin() {
        CorsPolicy any = policy(List.of("*"), SAFELISTED, List.of(), List.of(), false);

        assertThat(any.allowsOrigin("https://anything.test")).isTrue();
        assertThat(any.allowsOrigin("null")).isTrue();
    }

    @Test
    void anAllowedPreflightGetsEveryAllowHeaderAndVaryOrigin() {
        HttpHeaders response = new DefaultHttpHeaders();

        assertThat(LISTED.answerPreflight(preflight("https://a.example.org", "PUT", "content-type, X-Request-ID"),
                response)).isTrue();

        assertThat(response.get("Access-Control-Allow-Origin")).isEqualTo("https://a.example.org");
        assertThat(response.get("Access-Control-Allow-Credentials")).isEqualTo("true");
        assertThat(response.get("Access-Control-Allow-Methods")).isEqualTo("PUT, DELETE");
        assertThat(response.get("Access-Control-Allow-Headers")).isEqualTo("Content-Type, X-Request-Id");
        assertThat(response.get("Access-Control-Max-Age")).isEqualTo("600");
        assertThat(response.get("Vary")).isEqualTo("Origin");
        assertThat(response.contains("Access-Control-Expose-Headers")).isFalse();
    }

    @ParameterizedTest
    @CsvSource(nullValues = "~", value = {
        "https://evil.net, PUT, ~",
        "https://app.example.com, PATCH, ~",
        "https://app.example.com, put, ~",
        "https://app.example.com, PUT, X-Other",
        "https://app.example.com, PUT, 'Content-Type, Authorization'",
    })
    void aPreflightNotAllowedGetsNoAllowHeaderButStillVaryOrigin(String origin, String method, String headers) {
        HttpHeaders response = new DefaultHttpHeaders();

        assertThat(LISTED.answerPreflight(preflight(origin, method, headers), response)).isFalse();

        assertThat(response.size()).isEqualTo(1);
        assertThat(response.get("Vary")).isEqualTo("Origin");
    }

    @Test
    void safelistedMethodsPassUnlistedAndAnEmptyHeaderListAsksForNothing() {
        assertThat(LISTED.answerPreflight(preflight("https://app.example.com", "POST", ""), new DefaultHttpHeaders()))
                .isTrue();
        assertThat(LISTED.answerPreflight(preflight("https://app.example.com", "GET", ","), new DefaultHttpHeaders()))
                .isTrue();
    }

    @Test
    void starMethodsAndHeadersEchoWhatWasAskedWithCredentialsAndSayStarWithout() {
        CorsPolicy withCredentials = policy(List.of("https://app.example.com"), List.of("*"), List.of("*"), List.of(),
                true);
        HttpHeaders response = new DefaultHttpHeaders();
        assertThat(withCredentials.answerPreflight(preflight("https://app.example.com", "PATCH", "Authorization, X-A"),
                response)).isTrue();
        assertThat(response.get("Access-Control-Allow-Methods")).isEqualTo("PATCH");
        assertThat(response.get("Access-Control-Allow-Headers")).isEqualTo("Authorization, X-A");

        CorsPolicy anonymous = policy(List.of("*"), List.of("*"), List.of("*"), List.of(), false);
        HttpHeaders open = new DefaultHttpHeaders();
        assertThat(anonymous.answerPreflight(preflight("https://x.test", "PATCH", null), open)).isTrue();
        assertThat(open.get("Access-Control-Allow-Methods")).isEqualTo("*");
        assertThat(open.contains("Access-Control-Allow-Headers")).isFalse();
        assertThat(open.contains("Access-Control-Allow-Credentials")).isFalse();
        assertThat(open.get("Access-Control-Allow-Origin")).isEqualTo("https://x.test");
    }

    @Test
    void anActualResponseToAnAllowedOriginGetsOriginCredentialsAndExposedHeaders() {
        HttpHeaders response = new DefaultHttpHeaders().add("Vary", "Accept-Encoding");

        LISTED.apply(request(HttpMethod.GET, "Origin", "http://localhost:3000"), response);

        assertThat(response.get("Access-Control-Allow-Origin")).isEqualTo("http://localhost:3000");
        assertThat(response.get("Access-Control-Allow-Credentials")).isEqualTo("true");
        assertThat(response.get("Access-Control-Expose-Headers")).isEqualTo("X-Total, ETag");
        assertThat(response.getAll("Vary")).containsExactly("Accept-Encoding, Origin");
        assertThat(response.contains("Access-Control-Allow-Methods")).isFalse();
    }

    @Test
    void theBackendsCorsHeadersAreReplacedAndNoneLeftForARefusedOrigin() {
        HttpHeaders allowed = backendCors();
        LISTED.apply(request(HttpMethod.GET, "Origin", "https://app.example.com"), allowed);
        assertThat(allowed.getAll("Access-Control-Allow-Origin")).containsExactly("https://app.example.com");
        assertThat(allowed.getAll("Access-Control-Expose-Headers")).containsExactly("X-Total, ETag");
        assertThat(allowed.contains("Access-Control-Allow-Methods")).isFalse();
        assertThat(allowed.contains("Access-Control-Max-Age")).isFalse();

        HttpHeaders refused = backendCors();
        LISTED.apply(request(HttpMethod.GET, "Origin", "https://evil.net"), refused);
        assertThat(refused.size()).isEqualTo(2);
        assertThat(refused.get("Content-Type")).isEqualTo("text/plain");
        assertThat(refused.get("Vary")).isEqualTo("Origin");
    }

    private static HttpHeaders backendCors() {
        return new DefaultHttpHeaders()
                .add("Content-Type", "text/plain")
                .add("Access-Control-Allow-Origin", "*")
                .add("Access-Control-Allow-Credentials", "true")
                .add("Access-Control-Expose-Headers", "X-Secret")
                .add("Access-Control-Allow-Methods", "*")
                .add("Access-Control-Max-Age", "86400");
    }

    @Test
    void aRequestWithoutOriginIsLeftAloneBackendCorsHeadersIncluded() {
        HttpHeaders response = backendCors();

        LISTED.apply(request(HttpMethod.GET), response);

        assertThat(response).isEqualTo(backendCors());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "~|Origin",
        "Accept-Encoding|Accept-Encoding, Origin",
        "accept-encoding, origin|accept-encoding, origin",
        "ORIGIN|ORIGIN",
        "*|*",
        "Accept, Cookie|Accept, Cookie, Origin",
    }, nullValues = "~")
    void varyOriginIsMergedIntoTheBackendsVaryNeverTwice(String backend, String merged) {
        HttpHeaders response = new DefaultHttpHeaders();
        if (backend != null) {
            response.add("Vary", backend);
        }

        LISTED.apply(request(HttpMethod.GET, "Origin", "https://evil.net"), response);

        assertThat(response.getAll("Vary")).containsExactly(merged);
    }

    @Test
    void twoVaryLinesBecomeOneWithOrigin() {
        HttpHeaders response = new DefaultHttpHeaders().add("Vary", "Accept").add("Vary", "Cookie");

        LISTED.apply(request(HttpMethod.GET, "Origin", "https://app.example.com"), response);

        assertThat(response.getAll("Vary")).containsExactly("Accept, Cookie, Origin");
    }

    @Test
    void onlyOptionsWithOriginAndRequestMethodIsAPreflight() {
        assertThat(CorsPolicy.isPreflight(preflight("https://a.test", "PUT", null))).isTrue();
        assertThat(CorsPolicy.isPreflight(request(HttpMethod.OPTIONS, "Origin", "https://a.test"))).isFalse();
        assertThat(CorsPolicy.isPreflight(request(HttpMethod.OPTIONS, "Access-Control-Request-Method", "PUT")))
                .isFalse();
        assertThat(CorsPolicy.isPreflight(request(HttpMethod.GET, "Origin", "https://a.test",
                "Access-Control-Request-Method", "PUT"))).isFalse();
    }

    @Test
    void enabledFalseOrAbsentIsNoPolicy() {
        assertThat(CorsPolicy.of(null)).isNull();
        assertThat(CorsPolicy.of(new Cors(List.of("*"), null, null, null, null, null, false))).isNull();
    }
}
