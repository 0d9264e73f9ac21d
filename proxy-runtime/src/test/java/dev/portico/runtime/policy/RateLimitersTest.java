package dev.portico.runtime.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.crds.v1alpha1.Route;
import dev.portico.runtime.config.SiteYaml;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which limiters survive a config push: the site's and each route's, while their settings stay the same. */
class RateLimitersTest {

    private static List<Route> routes(String routes) {
        return SiteYaml.load("hosts: [a.example.com]\nroutes:\n" + routes).spec().routes();
    }

    private static final String API = """
              - match: {path: {value: /api}}
                backend: {service: api, port: 80}
                rateLimit: {requestsPerSecond: 5}
            """;
    private static final String WEB = """
              - backend: {service: web, port: 80}
            """;

    @Test
    void aRouteKeepsItsLimiterWhileItsMatchAndSettingsStayEvenWhenRoutesAreAddedBeforeIt() {
        RateLimiters limiters = new RateLimiters();
        RateLimiter api = limiters.forRoutes(routes(API + WEB)).get(0);

        List<RateLimiter> again = limiters.forRoutes(routes(WEB + API));

        assertThat(again.get(0)).isNull();
        assertThat(again.get(1)).isSameAs(api);
    }

    @Test
    void newSettingsOrAnotherMatchStartAfreshAndARemovedRouteIsForgotten() {
        RateLimiters limiters = new RateLimiters();
        RateLimiter api = limiters.forRoutes(routes(API)).get(0);

        assertThat(limiters.forRoutes(routes(API.replace("requestsPerSecond: 5", "requestsPerSecond: 6"))).get(0))
                .isNotSameAs(api);
        RateLimiter six = limiters.forRoutes(routes(API.replace("requestsPerSecond: 5", "requestsPerSecond: 6"))).get(0);
        assertThat(limiters.forRoutes(routes(API.replace("/api", "/v2").replace("requestsPerSecond: 5",
                "requestsPerSecond: 6"))).get(0)).isNotSameAs(six);

        limiters.forRoutes(routes(WEB));
        assertThat(limiters.forRoutes(routes(API)).get(0)).isNotSameAs(api);
    }

    @Test
    void routesMatchingAlikeHaveABucketSetEachAndDisabledOnesNone() {
        RateLimiters limiters = new RateLimiters();
        List<RateLimiter> two = limiters.forRoutes(routes(API + API + """
              - match: {path: {value: /free}}
                backend: {service: api, port: 80}
                rateLimit: {enabled: false}
            """));

        assertThat(two.get(0)).isNotNull().isNotSameAs(two.get(1));
        assertThat(two.get(2)).isNull();
        List<RateLimiter> again = limiters.forRoutes(routes(API + API));
        assertThat(again).containsExactly(two.get(0), two.get(1));
    }

    @Test
    void theSitesLimiterIsKeptAsBeforeAndEnabledFalseIsNone() {
        RateLimiters limiters = new RateLimiters();
        var spec = SiteYaml.load("hosts: [a.example.com]\nrateLimit: {requestsPerSecond: 2}\nroutes:\n" + WEB)
                .spec().rateLimit();
        RateLimiter site = limiters.forSpec(spec);

        assertThat(limiters.forSpec(spec)).isSameAs(site);
        assertThat(limiters.forSpec(SiteYaml.load("hosts: [a.example.com]\nrateLimit: {enabled: false}\nroutes:\n"
                + WEB).spec().rateLimit())).isNull();
    }

    @Test
    void theSitesAndEveryRoutesBucketsShareOneBound() throws Exception {
        RateLimiters limiters = new RateLimiters(1_000);
        RateLimiter site = limiters.forSpec(SiteYaml.load("hosts: [a.example.com]\nrateLimit: {requestsPerSecond: 1}"
                + "\nroutes:\n" + WEB).spec().rateLimit());
        List<RateLimiter> routes = limiters.forRoutes(routes(API + API.replace("/api", "/v2") + API.replace("/api", "/v3")));

        for (int i = 0; i < 3_000; i++) {
            InetAddress client = InetAddress.getByAddress(new byte[] {10, 0, (byte) (i >> 8), (byte) i});
            site.acquire(client);
            routes.forEach(limiter -> limiter.acquire(client));
        }

        long tracked = site.trackedClients() + routes.stream().mapToLong(RateLimiter::trackedClients).sum();
        assertThat(tracked).isPositive().isLessThanOrEqualTo(1_000);
    }

    @Test
    void aReplacedLimitersBucketsAreDroppedAtOnce() throws Exception {
        RateLimiters limiters = new RateLimiters();
        RateLimiter api = limiters.forRoutes(routes(API)).get(0);
        api.acquire(InetAddress.getByName("192.0.2.1"));
        assertThat(api.trackedClients()).isEqualTo(1);

        limiters.forRoutes(routes(API.replace("requestsPerSecond: 5", "requestsPerSecond: 6")));

        assertThat(api.trackedClients()).isZero();
    }
}
