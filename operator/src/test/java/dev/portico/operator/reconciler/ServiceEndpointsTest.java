package dev.portico.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.crds.ProxySiteDefaults;
import dev.portico.crds.ProxySiteLoader;
import dev.portico.crds.bundle.BackendEndpoints;
import dev.portico.crds.bundle.BackendEndpoints.Endpoint;
import dev.portico.crds.v1alpha1.ProxySiteSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A backend Service and its EndpointSlices to the endpoints the bundle lists; no server. */
class ServiceEndpointsTest {

    private static final Service WEB = service("ClusterIP", port("http", 80, "TCP"), port("metrics", 9090, "TCP"));

    @Test
    void theSlicePortNamedAsTheServicePortGivesThePodsPort() {
        EndpointSlice slice = slice("IPv4", List.of(slicePort("http", 8080, "TCP"), slicePort("metrics", 9100, "TCP")),
                endpoint("10.244.0.7", true, true, false), endpoint("10.244.0.8", true, true, false));

        assertThat(ServiceEndpoints.endpoints(WEB, 80, List.of(slice))).contains(List.of(
                new Endpoint("10.244.0.7", 8080, true, true, false), new Endpoint("10.244.0.8", 8080, true, true, false)));
        assertThat(ServiceEndpoints.endpoints(WEB, 9090, List.of(slice))).contains(List.of(
                new Endpoint("10.244.0.7", 9100, true, true, false), new Endpoint("10.244.0.8", 9100, true, true, false)));
    }

    @Test
    void conditionsAreCopiedAndNilMeansWhatTheApiSays() {
        EndpointSlice slice = slice("IPv4", List.of(slicePort("http", 8080, "TCP")),
                endpoint("10.244.0.1", false, true, true),
                endpoint("10.244.0.2", false, false, true),
                endpoint("10.244.0.3", false, false, false),
                new EndpointBuilder().withAddresses("10.244.0.4").build());

        assertThat(ServiceEndpoints.endpoints(WEB, 80, List.of(slice)).orElseThrow()).containsExactly(
                new Endpoint("10.244.0.1", 8080, false, true, true),
                new Endpoint("10.244.0.2", 8080, false, false, true),
                new Endpoint("10.244.0.3", 8080, false, false, false),
                new Endpoint("10.244.0.4", 8080, true, true, false));
    }

    @Test
    void anAddressInTwoSlicesIsListedOnceWithTheBetterConditions() {
        // The controller moves an endpoint between slices in two writes: for a moment it is in both.
        EndpointSlice old = slice("IPv4", List.of(slicePort("http", 8080, "TCP")),
                endpoint("10.244.0.7", false, false, false), endpoint("10.244.0.9", true, true, false));
        EndpointSlice next = slice("IPv4", List.of(slicePort("http", 8080, "TCP")),
                endpoint("10.244.0.7", true, true, false), endpoint("10.244.0.9", false, true, true));

        List<Endpoint> endpoints = ServiceEndpoints.endpoints(WEB, 80, List.of(old, next)).orElseThrow();

        assertThat(endpoints).containsExactly(new Endpoint("10.244.0.7", 8080, true, true, false),
                new Endpoint("10.244.0.9", 8080, true, true, false));
        assertThat(ServiceEndpoints.endpoints(WEB, 80, List.of(next, old))).contains(endpoints);
    }

    @Test
    void slicesOfPodsWithoutThePortAndFqdnSlicesAddNothing() {
        // Pods that lack a named targetPort get a slice without that port.
        EndpointSlice withoutPort = slice("IPv4", List.of(slicePort("metrics", 9100, "TCP")),
                endpoint("10.244.0.5", true, true, false));
        EndpointSlice udp = slice("IPv4", List.of(slicePort("http", 8080, "UDP")), endpoint("10.244.0.6", true, true, false));
        EndpointSlice fqdn = slice("FQDN", List.of(slicePort("http", 8080, "TCP")), endpoint("db.example.com", true, true, false));
        EndpointSlice v6 = slice("IPv6", List.of(slicePort("http", 8080, "TCP")), endpoint("fd00::7", true, true, false));

        assertThat(ServiceEndpoints.endpoints(WEB, 80, List.of(withoutPort, udp, fqdn, v6)))
                .contains(List.of(new Endpoint("fd00::7", 8080, true, true, false)));
    }

    @Test
    void aSinglePortServiceMatchesTheUnnamedSlicePort() {
        Service single = service("ClusterIP", port(null, 8000, null));
        EndpointSlice slice = slice("IPv4", List.of(slicePort("", 3000, "TCP")), endpoint("10.244.1.2", true, true, false));
        EndpointSlice unnamed = slice("IPv4", List.of(slicePort(null, 3000, null)), endpoint("10.244.1.3", true, true, false));

        assertThat(ServiceEndpoints.endpoints(single, 8000, List.of(slice, unnamed))).contains(List.of(
                new Endpoint("10.244.1.2", 3000, true, true, false), new Endpoint("10.244.1.3", 3000, true, true, false)));
    }

    @Test
    void noSlicesIsAnEmptyListNotDns() {
        assertThat(ServiceEndpoints.endpoints(WEB, 80, List.of())).contains(List.of());
    }

    @Test
    void anExternalNameServiceAndAPortThatIsNotTcpAreLeftToDns() {
        Service external = new ServiceBuilder().withNewMetadata().withName("legacy").endMetadata()
                .withNewSpec().withType("ExternalName").withExternalName("legacy.example.net").endSpec().build();
        Service dns = service("ClusterIP", port("dns", 53, "UDP"));
        EndpointSlice slice = slice("IPv4", List.of(slicePort("dns", 53, "UDP")), endpoint("10.244.0.3", true, true, false));

        assertThat(ServiceEndpoints.endpoints(external, 8443, List.of())).isEmpty();
        assertThat(ServiceEndpoints.endpoints(dns, 53, List.of(slice))).isEmpty();
        assertThat(ServiceEndpoints.endpoints(WEB, 81, List.of())).as("no such port").isEmpty();
    }

    @Test
    void aSitesFileHasAnEntryPerCheckedBackendOfAServiceThatExists() {
        ProxySiteSpec spec = ProxySiteDefaults.normalise(ProxySiteLoader.parse("""
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: vera, namespace: aidoo}
                spec:
                  hosts: [vera.example.com]
                  routes:
                    - match: {path: {value: /metrics}}
                      backend: {service: Web, port: 9090}
                    - match: {path: {value: /legacy}}
                      backend: {service: legacy, port: 8443}
                    - match: {path: {value: /other}}
                      backend: {service: web.other-ns, port: 80}
                    - match: {path: {value: /empty}}
                      backend: {service: idle, port: 80}
                    - match: {path: {value: /}}
                      backend: {service: web, port: 80}
                """).spec());
        Map<String, Service> services = Map.of("web", WEB, "idle", service("ClusterIP", port("http", 80, "TCP")),
                "legacy", new ServiceBuilder().withNewSpec().withType("ExternalName").withExternalName("x.example").endSpec()
                        .build());
        Map<String, List<EndpointSlice>> slices = Map.of("web", List.of(slice("IPv4",
                List.of(slicePort("http", 8080, "TCP"), slicePort("metrics", 9100, "TCP")),
                endpoint("10.244.0.7", true, true, false))));

        BackendEndpoints file = ServiceEndpoints.of(spec, name -> Optional.ofNullable(services.get(name)),
                name -> slices.getOrDefault(name, List.of()));

        assertThat(file.backends()).containsOnlyKeys("web:80", "web:9090", "idle:80");
        assertThat(file.get("web", 80)).containsExactly(new Endpoint("10.244.0.7", 8080, true, true, false));
        assertThat(file.get("web", 9090)).containsExactly(new Endpoint("10.244.0.7", 9100, true, true, false));
        assertThat(file.get("idle", 80)).as("the Service exists and nothing serves it").isEmpty();
        assertThat(file.render()).isEqualTo(BackendEndpoints.parse(file.render()).render());
    }

    @Test
    void theCachedSliceGivesTheSameEndpointsAsTheWholeOne() {
        EndpointSlice whole = new EndpointSliceBuilder(slice("IPv4", List.of(slicePort("http", 8080, "TCP")),
                endpoint("10.244.0.7", true, true, false), endpoint("10.244.0.8", false, true, true)))
                .editMetadata()
                    .addToLabels(ServiceEndpoints.SERVICE_NAME_LABEL, "web")
                    .addToLabels("endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io")
                    .addNewOwnerReference().withKind("Service").withName("web").withUid("u").withApiVersion("v1").endOwnerReference()
                .endMetadata()
                .editFirstEndpoint()
                    .withNodeName("node-1").withZone("a")
                    .withNewTargetRef().withKind("Pod").withName("web-1").withNamespace("aidoo").endTargetRef()
                .endEndpoint()
                .build();
        String before = Serialization.asJson(whole);

        EndpointSlice cached = CachedState.endpointSliceEssentials(whole);

        assertThat(Serialization.asJson(whole)).as("the informer's event keeps the whole object").isEqualTo(before);
        assertThat(ServiceEndpoints.endpoints(WEB, 80, List.of(cached)))
                .isEqualTo(ServiceEndpoints.endpoints(WEB, 80, List.of(whole)));
        assertThat(cached.getMetadata().getLabels()).containsExactly(Map.entry(ServiceEndpoints.SERVICE_NAME_LABEL, "web"));
        assertThat(cached.getMetadata().getOwnerReferences()).isEmpty();
        assertThat(cached.getEndpoints().get(0)).satisfies(e -> {
            assertThat(e.getTargetRef()).isNull();
            assertThat(e.getNodeName()).isNull();
            assertThat(e.getZone()).isNull();
        });
    }

    private static Service service(String type, io.fabric8.kubernetes.api.model.ServicePort... ports) {
        return new ServiceBuilder().withNewMetadata().withName("web").withNamespace("aidoo").endMetadata()
                .withNewSpec().withType(type).withPorts(ports).endSpec().build();
    }

    private static io.fabric8.kubernetes.api.model.ServicePort port(String name, int port, String protocol) {
        return new io.fabric8.kubernetes.api.model.ServicePortBuilder().withName(name).withPort(port).withProtocol(protocol)
                .build();
    }

    private static io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort slicePort(String name, int port, String protocol) {
        return new io.fabric8.kubernetes.api.model.discovery.v1.EndpointPortBuilder().withName(name).withPort(port)
                .withProtocol(protocol).build();
    }

    private static io.fabric8.kubernetes.api.model.discovery.v1.Endpoint endpoint(String address, boolean ready,
            boolean serving, boolean terminating) {
        return new EndpointBuilder().withAddresses(address)
                .withNewConditions().withReady(ready).withServing(serving).withTerminating(terminating).endConditions()
                .build();
    }

    private static EndpointSlice slice(String addressType, List<io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort> ports,
            io.fabric8.kubernetes.api.model.discovery.v1.Endpoint... endpoints) {
        return new EndpointSliceBuilder().withNewMetadata().withName("web-" + addressType.toLowerCase()).withNamespace("aidoo")
                .endMetadata().withAddressType(addressType).withPorts(ports).withEndpoints(endpoints).build();
    }
}
