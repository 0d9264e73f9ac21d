package dev.portico.runtime.balancing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.crds.bundle.BackendEndpoints;
import dev.portico.crds.v1alpha1.Backend;
import dev.portico.crds.v1alpha1.LoadBalancer;
import dev.portico.runtime.routing.RouteAction.UpstreamTarget;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Where a backend's endpoints come from, and what survives a new config. */
class BackendClustersTest {

    final BackendClusters clusters = new BackendClusters();
    final UpstreamTarget target = new UpstreamTarget("app", 80, false, "app", false);

    static Backend backend(List<String> addresses) {
        return new Backend("app", 80, null, null, addresses, new LoadBalancer(LoadBalancer.Type.RoundRobin, null), null);
    }

    static BackendEndpoints.Endpoint ep(String ip, boolean ready, boolean serving, boolean terminating) {
        return new BackendEndpoints.Endpoint(ip, 8080, ready, serving, terminating);
    }

    static List<String> addresses(List<Endpoint> endpoints) {
        return endpoints.stream().map(Endpoint::toString).toList();
    }

    @Test
    void theOperatorsEndpointsComeFirstWithTerminatingOnesOnlyAsAFallback() {
        BackendEndpoints file = BackendEndpoints.of(Map.of("app:80", List.of(ep("10.244.0.1", true, true, false),
                ep("10.244.0.2", false, true, true), ep("10.244.0.3", false, false, false))));
        Cluster cluster = clusters.compile(backend(List.of("192.0.2.1")), target, file);
        assertThat(cluster.dns()).isNull();
        assertThat(addresses(cluster.endpoints().candidates())).containsExactly("10.244.0.1:8080");

        Cluster draining = clusters.compile(backend(null), target, BackendEndpoints.of(Map.of("app:80",
                List.of(ep("10.244.0.2", false, true, true)))));
        assertThat(addresses(draining.endpoints().candidates())).containsExactly("10.244.0.2:8080");

        Cluster empty = clusters.compile(backend(null), target, BackendEndpoints.of(Map.of("app:80", List.of())));
        assertThat(empty.dns()).isNull(); // resolved to nothing: 503, never DNS
        assertThat(empty.endpoints().candidates()).isEmpty();
    }

    @Test
    void addressesWithoutAnOperatorEntryAndDnsWithoutEither() {
        Cluster listed = clusters.compile(backend(List.of("192.0.2.1", "192.0.2.2:8081", "[fd00::5]:9000", "[fd00::6]")),
                target, BackendEndpoints.none());
        assertThat(addresses(listed.endpoints().candidates()))
                .containsExactly("192.0.2.1:80", "192.0.2.2:8081", "fd00::5:9000", "fd00::6:80");
        assertThat(listed.endpoints().candidates().get(0).remote().isUnresolved()).isTrue();

        Cluster dns = clusters.compile(backend(null), target, BackendEndpoints.none());
        assertThat(dns.dns()).isNotNull();
        assertThat(dns.endpoints()).isNull();
    }

    @Test
    void parsesEveryAddressForm() {
        assertThat(BackendClusters.parseAddress("10.0.0.5", 80)).isEqualTo(InetSocketAddress.createUnresolved("10.0.0.5", 80));
        assertThat(BackendClusters.parseAddress("10.0.0.5:8080", 80))
                .isEqualTo(InetSocketAddress.createUnresolved("10.0.0.5", 8080));
        assertThat(BackendClusters.parseAddress("[fd00::5]:8080", 80))
                .isEqualTo(InetSocketAddress.createUnresolved("fd00::5", 8080));
        assertThat(BackendClusters.parseAddress("[fd00::5]", 80)).isEqualTo(InetSocketAddress.createUnresolved("fd00::5", 80));
    }

    @Test
    void endpointsThatStayKeepTheirStateAcrossConfigsAndThoseThatGoAreForgotten() {
        BackendEndpoints two = BackendEndpoints.of(Map.of("app:80", List.of(ep("10.244.0.1", true, true, false),
                ep("10.244.0.2", true, true, false))));
        Cluster first = clusters.compile(backend(null), target, two);
        clusters.commit();
        Endpoint kept = first.endpoints().routable().get(0);
        Endpoint dropped = first.endpoints().routable().get(1);
        kept.started();

        Cluster second = clusters.compile(backend(null), target, BackendEndpoints.of(Map.of("app:80",
                List.of(ep("10.244.0.1", true, true, false)))));
        clusters.commit();
        assertThat(second.endpoints().routable()).containsExactly(kept);
        assertThat(second.endpoints().routable().get(0).active()).isEqualTo(1);
        assertThat(second.retryBudget()).isSameAs(first.retryBudget());

        Cluster third = clusters.compile(backend(null), target, two);
        assertThat(third.endpoints().routable().get(1)).isNotSameAs(dropped); // forgotten: starts afresh
    }
}
