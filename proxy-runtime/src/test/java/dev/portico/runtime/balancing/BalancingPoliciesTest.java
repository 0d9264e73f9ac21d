package dev.portico.runtime.balancing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portico.runtime.routing.RouteAction.UpstreamTarget;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The balancing decisions, without sockets. */
class BalancingPoliciesTest {

    static Endpoint endpoint(String address) {
        return new Endpoint(new UpstreamTarget(address, 8080, false, "app", false),
                InetSocketAddress.createUnresolved(address, 8080));
    }

    static List<Endpoint> endpoints(int n) {
        List<Endpoint> list = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            list.add(endpoint("10.244.0." + i));
        }
        return list;
    }

    static PickRequest request(String... headerPairs) {
        HttpHeaders headers = new DefaultHttpHeaders();
        for (int i = 0; i < headerPairs.length; i += 2) {
            headers.add(headerPairs[i], headerPairs[i + 1]);
        }
        return new PickRequest(headers, InetAddress.getLoopbackAddress());
    }

    @Test
    void roundRobinGivesEachEndpointItsTurn() {
        List<Endpoint> three = endpoints(3);
        RoundRobin policy = new RoundRobin();
        Map<Endpoint, Integer> counts = new HashMap<>();
        for (int i = 0; i < 300; i++) {
            counts.merge(policy.pick(three, request()), 1, Integer::sum);
        }
        assertThat(counts.values()).containsExactly(100, 100, 100);
    }

    @Test
    void retriesTakeNoRoundRobinTurnSoAFailingEndpointGetsOnlyItsShareOfFirstTries() throws Exception {
        List<Endpoint> two = endpoints(2);
        Endpoint failing = two.get(0);
        Cluster cluster = new Cluster(failing.target(), EndpointSet.of(two), null, new RoundRobin(),
                OutlierDetector.DISABLED, null, new dev.portico.runtime.retry.RetryBudget());
        int firstTriesOnFailing = 0;
        for (int i = 0; i < 100; i++) {
            Endpoint first = cluster.pick(two, List.of(), request());
            if (first == failing) {
                firstTriesOnFailing++;
                assertThat(cluster.pick(two, List.of(first), request())).isNotSameAs(failing);
            }
        }
        assertThat(firstTriesOnFailing).isEqualTo(50);
    }

    @Test
    void leastRequestNeverPicksTheBusiestOfThree() {
        List<Endpoint> three = endpoints(3);
        for (int i = 0; i < 10; i++) {
            three.get(0).started();
        }
        LeastRequest policy = new LeastRequest();
        Map<Endpoint, Integer> counts = new HashMap<>();
        for (int i = 0; i < 1000; i++) {
            counts.merge(policy.pick(three, request()), 1, Integer::sum);
        }
        assertThat(counts).doesNotContainKey(three.get(0));
        assertThat(counts.get(three.get(1))).isBetween(300, 700); // the two idle ones share
    }

    @Test
    void headerHashSendsAKeyToOneEndpointAndSpreadsKeys() {
        List<Endpoint> four = endpoints(4);
        ConsistentHash policy = new ConsistentHash(new ConsistentHash.Key.Header("X-User"));
        Endpoint first = policy.pick(four, request("X-User", "alice"));
        for (int i = 0; i < 20; i++) {
            assertThat(policy.pick(four, request("X-User", "alice"))).isSameAs(first);
        }
        Map<Endpoint, Integer> counts = new HashMap<>();
        for (int i = 0; i < 4000; i++) {
            counts.merge(policy.pick(four, request("X-User", "user-" + i)), 1, Integer::sum);
        }
        assertThat(counts).hasSize(4);
        assertThat(counts.values()).allSatisfy(c -> assertThat(c).isBetween(800, 1200));
    }

    @Test
    void removingOneOfTenEndpointsMovesOnlyTheKeysItHad() {
        List<Endpoint> ten = endpoints(10);
        ConsistentHash policy = new ConsistentHash(new ConsistentHash.Key.Header("X-User"));
        Endpoint removed = ten.get(3);
        List<Endpoint> nine = new ArrayList<>(ten);
        nine.remove(removed);
        int keys = 10_000;
        int moved = 0;
        for (int i = 0; i < keys; i++) {
            PickRequest r = request("X-User", "user-" + i);
            Endpoint before = policy.pick(ten, r);
            Endpoint after = policy.pick(nine, r);
            if (before != after) {
                moved++;
                assertThat(before).isSameAs(removed); // no key moves between endpoints that stayed
            }
        }
        assertThat((double) moved / keys).isBetween(0.07, 0.13); // ~1/10
    }

    @Test
    void aRequestWithoutTheHeaderGoesRoundRobin() {
        List<Endpoint> two = endpoints(2);
        ConsistentHash policy = new ConsistentHash(new ConsistentHash.Key.Header("X-User"));
        Set<Endpoint> seen = new java.util.HashSet<>();
        seen.add(policy.pick(two, request()));
        seen.add(policy.pick(two, request()));
        assertThat(seen).hasSize(2);
    }

    @Test
    void sourceIpHashIsStablePerClient() throws Exception {
        List<Endpoint> five = endpoints(5);
        ConsistentHash policy = new ConsistentHash(new ConsistentHash.Key.SourceIp());
        PickRequest client = new PickRequest(new DefaultHttpHeaders(), InetAddress.getByName("203.0.113.9"));
        Endpoint first = policy.pick(five, client);
        for (int i = 0; i < 10; i++) {
            assertThat(policy.pick(five, client)).isSameAs(first);
        }
    }

    @Test
    void aCookieNamingARoutableEndpointGoesThereAndOtherwiseRoundRobin() {
        List<Endpoint> three = endpoints(3);
        StickyCookie sticky = new StickyCookie("portico-affinity", "/", null);
        ConsistentHash policy = new ConsistentHash(new ConsistentHash.Key.Cookie(sticky));
        Endpoint target = three.get(2);
        for (int i = 0; i < 10; i++) {
            assertThat(policy.pick(three, request("Cookie", "a=b; portico-affinity=" + target.id()))).isSameAs(target);
        }
        List<Endpoint> withoutTarget = three.subList(0, 2);
        assertThat(policy.pick(withoutTarget, request("Cookie", "portico-affinity=" + target.id())))
                .isIn(withoutTarget);
    }

    @Test
    void theStickyCookieIsSetOnlyWhenTheRequestDoesNotNameTheEndpoint() {
        Endpoint endpoint = endpoint("10.244.0.9");
        StickyCookie sticky = new StickyCookie("aff", "/app", Duration.ofHours(1));
        String set = sticky.setCookie(request(), endpoint, true);
        assertThat(set).startsWith("aff=" + endpoint.id()).contains("Path=/app", "Max-Age=3600",
                "Secure", "SameSite=Lax");
        assertThat(set.toLowerCase(java.util.Locale.ROOT)).contains("httponly");
        assertThat(sticky.setCookie(request("Cookie", "aff=" + endpoint.id()), endpoint, true)).isNull();
        assertThat(sticky.setCookie(request("Cookie", "aff=0123"), endpoint, false)).doesNotContain("Secure");
        assertThat(new StickyCookie("aff", "/", null).setCookie(request(), endpoint, false)).doesNotContain("Max-Age");
    }

    @Test
    void endpointIdsAreStableAndDistinct() {
        assertThat(endpoint("10.244.0.1").id()).isEqualTo(endpoint("10.244.0.1").id());
        assertThat(endpoint("10.244.0.1").id()).isNotEqualTo(endpoint("10.244.0.2").id());
    }

    @Test
    void aClusterAvoidsEjectedAndTriedEndpointsWhileOthersAreLeft() throws Exception {
        List<Endpoint> three = endpoints(3);
        long[] now = {0};
        OutlierDetector detector = new OutlierDetector(true, 1, 0, Duration.ofSeconds(10), Duration.ofSeconds(300),
                100, () -> now[0], e -> { });
        Cluster cluster = new Cluster(three.get(0).target(), EndpointSet.of(three), null, new RoundRobin(), detector,
                null, new dev.portico.runtime.retry.RetryBudget());
        cluster.failed(three.get(0));
        for (int i = 0; i < 20; i++) {
            assertThat(cluster.pick(three, List.of(three.get(1)), request())).isSameAs(three.get(2));
        }
        // Everything tried or ejected: an ejected endpoint still beats no answer.
        assertThat(cluster.pick(three, List.of(three.get(1), three.get(2)), request())).isSameAs(three.get(0));
        assertThatThrownBy(() -> cluster.pick(List.of(), List.of(), request())).isInstanceOf(NoEndpointException.class);
    }
}
