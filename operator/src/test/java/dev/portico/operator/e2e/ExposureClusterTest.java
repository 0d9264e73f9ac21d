package dev.portico.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portico.crds.ProxySiteLoader;
import dev.portico.crds.v1alpha1.ProxySiteStatus;
import dev.portico.operator.testbed.ClusterTest;
import dev.portico.operator.testbed.StandInPods;
import dev.portico.operator.testbed.Testbed;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * spec.service on the real API server: the Service gets what the site sets and nothing
 * more; what a cloud controller writes (an annotation of its own, the load balancer's
 * addresses) stays, shows in the site's status, and starts no fight; a change of type hands
 * the fields back to the cluster; a node port the cluster refuses is reported on the site.
 */
@ClusterTest
@Timeout(240)
class ExposureClusterTest {

    private static final String NS = "exposure";
    private static final String SITE = """
            apiVersion: portico.dev/v1alpha1
            kind: ProxySite
            metadata: {name: chat, namespace: exposure}
            spec:
              hosts: ["*.chat.example.com"]
              replicas: 1
              service:
                type: LoadBalancer
                annotations: {service.beta.kubernetes.io/aws-load-balancer-type: external}
                externalTrafficPolicy: Local
                loadBalancerSourceRanges: ["203.0.113.0/24"]
                nodePorts: {http: 30080}
              routes:
                - match: {path: {value: /}}
                  backend: {service: app, port: 8000}
            """;

    @TempDir
    Path root;

    @Test
    void theServiceIsWhatTheSiteSetsAndTheCloudKeepsItsPart(Testbed testbed) throws Exception {
        try (StandInPods standIns = new StandInPods();
             ClusterStandIn cluster = new ClusterStandIn(testbed, root, pod -> true, standIns)) {
            cluster.apply(ProxySiteLoader.parse(SITE));
            await().atMost(ClusterStandIn.CONVERGE).until(() -> cluster.programmed(NS, "chat"));
            Service service = service(cluster);
            assertThat(service.getSpec().getType()).isEqualTo("LoadBalancer");
            assertThat(service.getMetadata().getAnnotations())
                    .containsEntry("service.beta.kubernetes.io/aws-load-balancer-type", "external");
            assertThat(service.getSpec().getExternalTrafficPolicy()).isEqualTo("Local");
            assertThat(service.getSpec().getLoadBalancerSourceRanges()).containsExactly("203.0.113.0/24");
            assertThat(service.getSpec().getPorts()).singleElement().extracting(ServicePort::getNodePort).isEqualTo(30080);
            Integer healthCheckPort = service.getSpec().getHealthCheckNodePort();
            assertThat(healthCheckPort).as("allocated by the cluster for Local").isNotNull();

            // The cloud controller: an annotation of its own, then the load balancer's addresses.
            cluster.client.services().inNamespace(NS).resource(new ServiceBuilder()
                            .withNewMetadata().withName("chat-proxy").withNamespace(NS)
                                .addToAnnotations("cloud.example.com/load-balancer-id", "lb-0123").endMetadata()
                            .build())
                    .fieldManager("cloud-controller").serverSideApply();
            cluster.client.services().inNamespace(NS).withName("chat-proxy").subresource("status")
                    .patch(PatchContext.of(PatchType.JSON_MERGE), """
                            {"status": {"loadBalancer": {"ingress": [
                              {"ip": "203.0.113.7"}, {"hostname": "lb-0123.elb.example.com"}]}}}""");
            ProxySiteStatus status = await().atMost(ClusterStandIn.CONVERGE).until(() -> cluster.status(NS, "chat"),
                    s -> s.addresses() != null && s.addresses().size() == 2);
            assertThat(status.addresses()).containsExactly(new ProxySiteStatus.Address("IPAddress", "203.0.113.7"),
                    new ProxySiteStatus.Address("Hostname", "lb-0123.elb.example.com"));
            assertThat(status.url()).as("wildcard hosts: the load balancer's first address")
                    .isEqualTo("http://203.0.113.7");

            // No fight: the operator writes nothing over the cloud's part, however long it looks.
            long writes = cluster.operatorRequests().writes(NS);
            Thread.sleep(10_000);
            assertThat(cluster.operatorRequests().writes(NS)).as("the operator's writes in 10 s").isEqualTo(writes);
            service = service(cluster);
            assertThat(service.getMetadata().getAnnotations()).containsEntry("cloud.example.com/load-balancer-id", "lb-0123");
            assertThat(service.getSpec().getHealthCheckNodePort()).isEqualTo(healthCheckPort);

            // Back to the default: the Service is a ClusterIP again, its node ports and policy gone.
            cluster.edit(NS, "chat", yaml -> yaml.replaceAll("(?s)  service:.*?(?=  routes:)", ""));
            await().atMost(ClusterStandIn.CONVERGE).until(() -> service(cluster).getSpec().getType().equals("ClusterIP"));
            service = service(cluster);
            assertThat(service.getSpec().getPorts()).singleElement().extracting(ServicePort::getNodePort).isNull();
            assertThat(service.getSpec().getExternalTrafficPolicy()).isNull();
            assertThat(service.getMetadata().getAnnotations())
                    .doesNotContainKey("service.beta.kubernetes.io/aws-load-balancer-type")
                    .containsEntry("cloud.example.com/load-balancer-id", "lb-0123");

            // A node port the cluster refuses: said on the site, and the Service stays as it was.
            cluster.edit(NS, "chat", yaml -> yaml.replace("  routes:",
                    "  service: {type: NodePort, nodePorts: {http: 80}}\n  routes:"));
            ProxySiteStatus refused = await().atMost(ClusterStandIn.CONVERGE).until(() -> cluster.status(NS, "chat"),
                    s -> ClusterStandIn.condition(s, "Programmed").status().equals("False"));
            assertThat(ClusterStandIn.condition(refused, "Programmed").reason()).isEqualTo("ApiServerError");
            assertThat(ClusterStandIn.condition(refused, "Programmed").message()).contains("nodePort", "80");
            assertThat(ClusterStandIn.condition(refused, "Ready").status()).isEqualTo("False");
            assertThat(service(cluster).getSpec().getType()).isEqualTo("ClusterIP");

            cluster.edit(NS, "chat", yaml -> yaml.replace("http: 80", "http: 30081"));
            await().atMost(ClusterStandIn.CONVERGE).until(() -> cluster.programmed(NS, "chat"));
            assertThat(service(cluster).getSpec().getPorts()).singleElement().extracting(ServicePort::getNodePort)
                    .isEqualTo(30081);
            assertThat(service(cluster).getSpec().getType()).isEqualTo("NodePort");
        }
    }

    private static Service service(ClusterStandIn cluster) {
        return cluster.client.services().inNamespace(NS).withName("chat-proxy").require();
    }
}
