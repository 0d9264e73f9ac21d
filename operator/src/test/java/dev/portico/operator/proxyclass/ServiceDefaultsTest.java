package dev.portico.operator.proxyclass;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.crds.v1alpha1.Exposure;
import dev.portico.crds.v1alpha1.Exposure.TrafficPolicy;
import dev.portico.crds.v1alpha1.Exposure.Type;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ServiceDefaultsTest {

    private static final Exposure NLB = new Exposure(Type.LoadBalancer,
            Map.of("lb/type", "nlb", "lb/scheme", "internet-facing"), TrafficPolicy.Local, "service.k8s.aws/nlb",
            List.of("0.0.0.0/0"), null);

    @Test
    void aSiteWithoutServiceTakesTheClassesWhole() {
        assertThat(ServiceDefaults.merge(null, NLB)).isEqualTo(new Exposure(Type.LoadBalancer,
                Map.of("lb/type", "nlb", "lb/scheme", "internet-facing"), TrafficPolicy.Local, "service.k8s.aws/nlb",
                List.of("0.0.0.0/0"), null));
    }

    @Test
    void theSitesFieldsWinAndAnnotationsAddUp() {
        Exposure site = new Exposure(null, Map.of("lb/scheme", "internal", "lb/target", "ip"), null, null,
                List.of("10.0.0.0/8"), new Exposure.NodePorts(30080, null));

        Exposure merged = ServiceDefaults.merge(site, NLB);

        assertThat(merged.type()).isEqualTo(Type.LoadBalancer);
        assertThat(merged.annotations()).containsExactly(
                Map.entry("lb/scheme", "internal"), Map.entry("lb/target", "ip"), Map.entry("lb/type", "nlb"));
        assertThat(merged.externalTrafficPolicy()).isEqualTo(TrafficPolicy.Local);
        assertThat(merged.loadBalancerClass()).isEqualTo("service.k8s.aws/nlb");
        assertThat(merged.loadBalancerSourceRanges()).containsExactly("10.0.0.0/8");
        assertThat(merged.nodePorts()).isEqualTo(new Exposure.NodePorts(30080, null));
    }

    @Test
    void classDefaultsTheSitesTypeCannotHaveAreDropped() {
        Exposure clusterIp = ServiceDefaults.merge(new Exposure(Type.ClusterIP, null, null, null, null, null), NLB);
        assertThat(clusterIp).isEqualTo(new Exposure(Type.ClusterIP,
                Map.of("lb/type", "nlb", "lb/scheme", "internet-facing"), null, null, null, null));

        Exposure nodePort = ServiceDefaults.merge(new Exposure(Type.NodePort, null, null, null, null, null), NLB);
        assertThat(nodePort.externalTrafficPolicy()).isEqualTo(TrafficPolicy.Local);
        assertThat(nodePort.loadBalancerClass()).isNull();
        assertThat(nodePort.loadBalancerSourceRanges()).isNull();
    }

    @Test
    void aSitesOwnTypeBoundFieldIsKeptForTheValidatorToRefuse() {
        Exposure site = new Exposure(Type.ClusterIP, null, TrafficPolicy.Local, null, null, null);

        assertThat(ServiceDefaults.merge(site, NLB).externalTrafficPolicy()).isEqualTo(TrafficPolicy.Local);
    }
}
