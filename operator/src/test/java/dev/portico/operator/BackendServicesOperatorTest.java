package dev.portico.operator;

import static dev.portico.operator.MockCluster.condition;
import static dev.portico.operator.MockCluster.hasCondition;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portico.crds.v1alpha1.ProxySiteStatus;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The backend Services a site's routes name (BackendServices): a missing one, or one without the
 * route's port, holds the site back with ResolvedRefs=False and leaves what serves untouched;
 * the Service appearing or changing reconciles the site through the watch.
 */
@EnableKubernetesMockClient(crud = true)
class BackendServicesOperatorTest {

    private static final String NS = "aidoo";
    private static final String THREE_ROUTES = """
                - match: {path: {value: /internal/}}
                  respond: {status: 404, body: "Not Found"}
                - match: {path: {value: /}}
                  backend: {service: vera-frontend, port: 3000}
                - match: {path: {value: /api}}
                  backend: {service: vera-backend, port: 8000}
            """;

    KubernetesMockServer server;
    KubernetesClient client;

    private MockCluster cluster;
    private Operator operator;

    @BeforeEach
    void startOperator() {
        cluster = new MockCluster(server, client);
        operator = cluster.startOperator(Metrics.NOOP);
        cluster.createService(NS, "vera-frontend", 3000);
    }

    @AfterEach
    void stopOperator() {
        operator.stop();
    }

    @Test
    void aMissingServiceIsReportedAndNothingIsCreatedUntilItAppears() {
        cluster.create(MockCluster.site("vera", NS, "", THREE_ROUTES));

        ProxySiteStatus missing = await().until(() -> cluster.status(NS, "vera"), s -> hasCondition(s, "ResolvedRefs", "False"));
        assertThat(condition(missing, "Accepted")).hasValueSatisfying(c -> assertThat(c.status()).isEqualTo("True"));
        assertThat(condition(missing, "ResolvedRefs")).hasValueSatisfying(c -> {
            assertThat(c.reason()).isEqualTo("BackendNotFound");
            assertThat(c.message()).isEqualTo(
                    "spec.routes[2].backend.service: Service \"vera-backend\" not found in namespace \"aidoo\"");
        });
        assertThat(condition(missing, "Programmed")).hasValueSatisfying(c -> {
            assertThat(c.status()).isEqualTo("False");
            assertThat(c.reason()).isEqualTo("RefsNotResolved");
        });
        await().untilAsserted(() -> assertThat(client.v1().events().inNamespace(NS).list().getItems())
                .anySatisfy(e -> {
                    assertThat(e.getType()).isEqualTo("Warning");
                    assertThat(e.getReason()).isEqualTo("BackendNotFound");
                    assertThat(e.getInvolvedObject().getName()).isEqualTo("vera");
                    assertThat(e.getMessage()).contains("spec.routes[2].backend.service");
                }));
        assertThat(cluster.get(Deployment.class, NS, "vera-proxy")).as("no proxy without its backend").isNull();
        assertThat(cluster.get(Secret.class, NS, "vera-proxy-config")).isNull();
        assertThat(cluster.get(Service.class, NS, "vera-proxy")).isNull();
        assertThat(cluster.get(ServiceAccount.class, NS, "vera-proxy")).isNull();

        cluster.createService(NS, "vera-backend", 8000);

        ProxySiteStatus resolved = await().until(() -> cluster.status(NS, "vera"), s -> hasCondition(s, "ResolvedRefs", "True"));
        assertThat(condition(resolved, "ResolvedRefs")).hasValueSatisfying(c -> assertThat(c.reason()).isEqualTo("ResolvedRefs"));
        await().until(() -> cluster.get(Deployment.class, NS, "vera-proxy"), d -> d != null);
        Secret bundle = await().until(() -> cluster.get(Secret.class, NS, "vera-proxy-config"), b -> b != null);
        assertThat(MockCluster.decode(bundle, "site.yaml")).contains("vera-backend");
        await().untilAsserted(() -> assertThat(condition(cluster.status(NS, "vera"), "Programmed"))
                .hasValueSatisfying(c -> assertThat(c.reason()).isNotEqualTo("RefsNotResolved")));
    }

    @Test
    void aServiceThatGoesAwayLeavesTheServingProxyUntouched() {
        cluster.createService(NS, "vera-backend", 8000);
        cluster.create(MockCluster.site("vera", NS, "", THREE_ROUTES));
        Deployment before = await().until(() -> cluster.get(Deployment.class, NS, "vera-proxy"), d -> d != null);
        Secret bundleBefore = await().until(() -> cluster.get(Secret.class, NS, "vera-proxy-config"), b -> b != null);
        await().until(() -> cluster.status(NS, "vera"), s -> hasCondition(s, "ResolvedRefs", "True"));

        client.services().inNamespace(NS).withName("vera-backend").delete();

        ProxySiteStatus missing = await().until(() -> cluster.status(NS, "vera"), s -> hasCondition(s, "ResolvedRefs", "False"));
        assertThat(condition(missing, "ResolvedRefs")).hasValueSatisfying(c -> assertThat(c.reason()).isEqualTo("BackendNotFound"));
        assertThat(condition(missing, "Programmed")).hasValueSatisfying(c -> assertThat(c.status()).isEqualTo("False"));
        assertThat(cluster.get(Deployment.class, NS, "vera-proxy").getMetadata().getResourceVersion())
                .isEqualTo(before.getMetadata().getResourceVersion());
        assertThat(cluster.get(Secret.class, NS, "vera-proxy-config").getMetadata().getResourceVersion())
                .isEqualTo(bundleBefore.getMetadata().getResourceVersion());
    }

    @Test
    void aServiceWithoutTheRoutesPortIsBackendPortNotFoundUntilItExposesIt() {
        cluster.createService(NS, "vera-backend", 80, 443);
        cluster.create(MockCluster.site("vera", NS, "", THREE_ROUTES));

        ProxySiteStatus wrongPort = await().until(() -> cluster.status(NS, "vera"), s -> hasCondition(s, "ResolvedRefs", "False"));
        assertThat(condition(wrongPort, "ResolvedRefs")).hasValueSatisfying(c -> {
            assertThat(c.reason()).isEqualTo("BackendPortNotFound");
            assertThat(c.message()).isEqualTo("spec.routes[2].backend.port: Service \"vera-backend\" in namespace "
                    + "\"aidoo\" has no port 8000 (it exposes 80, 443)");
        });
        await().untilAsserted(() -> assertThat(client.v1().events().inNamespace(NS).list().getItems())
                .anySatisfy(e -> assertThat(e.getReason()).isEqualTo("BackendPortNotFound")));
        assertThat(cluster.get(Deployment.class, NS, "vera-proxy")).isNull();

        // A change of the Service's ports is an event of the watch too.
        cluster.createService(NS, "vera-backend", 80, 443, 8000);

        await().until(() -> cluster.status(NS, "vera"), s -> hasCondition(s, "ResolvedRefs", "True"));
        await().until(() -> cluster.get(Deployment.class, NS, "vera-proxy"), d -> d != null);
    }

    @Test
    void aNameWithADotLocalhostAndAnExternalNameServiceAreNotHeldBack() {
        client.services().inNamespace(NS).resource(new io.fabric8.kubernetes.api.model.ServiceBuilder()
                .withNewMetadata().withName("vera-legacy").endMetadata()
                .withNewSpec().withType("ExternalName").withExternalName("legacy.example.net").endSpec()
                .build()).create();
        cluster.create(MockCluster.site("vera", NS, "", """
                    - match: {path: {value: /other}}
                      backend: {service: vera-backend.other-ns, port: 8000}
                    - match: {path: {value: /fqdn}}
                      backend: {service: vera-backend.other-ns.svc.cluster.local, port: 8000}
                    - match: {path: {value: /external}}
                      backend: {service: api.example.com, port: 443, protocol: HTTPS}
                    - match: {path: {value: /sidecar}}
                      backend: {service: localhost, port: 9000}
                    - match: {path: {value: /legacy}}
                      backend: {service: vera-legacy, port: 8443}
                """));

        ProxySiteStatus status = await().until(() -> cluster.status(NS, "vera"), s -> condition(s, "ResolvedRefs").isPresent());
        assertThat(condition(status, "ResolvedRefs")).hasValueSatisfying(c -> assertThat(c.status()).isEqualTo("True"));
        await().until(() -> cluster.get(Deployment.class, NS, "vera-proxy"), d -> d != null);
    }
}
