package dev.portico.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portico.operator.api.ProxySiteResource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The pieces OperatorMain wires together: the operator with JOSDK's Micrometer metrics, and the health port. */
@EnableKubernetesMockClient(crud = true)
class OperatorMainTest {

    KubernetesMockServer server;
    KubernetesClient client;

    @Test
    void servesHealthReadinessAndPrometheusMetrics() throws Exception {
        server.expectCustomResource(CustomResourceDefinitionContext.fromCustomResourceType(ProxySiteResource.class));
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        OperatorConfig config = new OperatorConfig("portico/proxy-runtime:test", Set.of(), false, false, null, 0);
        Operator operator = PorticoOperator.create(config, client, MicrometerMetrics.withoutPerResourceMetrics(registry),
                registry, false);
        try (HealthServer health = HealthServer.start(0, operator::getRuntimeInfo, registry)) {
            HttpClient http = HttpClient.newHttpClient();
            URI base = URI.create("http://127.0.0.1:" + health.port());
            assertThat(get(http, base.resolve("/readyz")).statusCode()).isEqualTo(503);

            operator.start();
            assertThat(get(http, base.resolve("/readyz")).statusCode()).isEqualTo(200);
            await().untilAsserted(() -> assertThat(get(http, base.resolve("/healthz")).statusCode()).isEqualTo(200));

            ProxySiteResource site = new ProxySiteResource();
            site.setMetadata(new ObjectMetaBuilder().withName("vera").withNamespace("aidoo").build());
            site.setSpec(dev.portico.crds.ProxySiteLoader.parse("""
                    apiVersion: portico.dev/v1alpha1
                    kind: ProxySite
                    spec:
                      hosts: [vera.example.com]
                      routes: [{backend: {service: vera, port: 80}}]
                    """).spec());
            client.resources(ProxySiteResource.class).inNamespace("aidoo").resource(site).create();
            await().untilAsserted(() -> {
                HttpResponse<String> metrics = get(http, base.resolve("/metrics"));
                assertThat(metrics.statusCode()).isEqualTo(200);
                assertThat(metrics.body()).contains("operator_sdk_reconciliations");
                // The operator's own meters share the registry: no pod is ready here, so no push yet.
                assertThat(metrics.body()).contains("portico_operator_config_pushes_total{outcome=\"failed\"} 0.0");
            });
        } finally {
            operator.stop();
        }
    }

    private static HttpResponse<String> get(HttpClient http, URI uri) throws Exception {
        return http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
    }
}
