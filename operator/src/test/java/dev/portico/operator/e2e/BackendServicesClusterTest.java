package dev.portico.operator.e2e;

import static dev.portico.operator.e2e.ClusterStandIn.condition;
import static dev.portico.operator.e2e.ClusterStandIn.decode;
import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.crds.ProxySiteLoader;
import dev.portico.crds.v1alpha1.ProxySiteStatus;
import dev.portico.operator.testbed.ClusterTest;
import dev.portico.operator.testbed.StandInPods;
import dev.portico.operator.testbed.Testbed;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The backend Services a site's routes name (BackendServices), on the real API server: a
 * missing one, or one without the route's port, holds the site back with ResolvedRefs=False
 * and leaves what serves untouched; the Service appearing or changing reconciles the site
 * through the watch. The pods are stand-ins: what is asserted is what the operator writes.
 */
@ClusterTest
@Timeout(120)
class BackendServicesClusterTest {

    private static final String THREE_ROUTES = """
                - match: {path: {value: /internal/}}
                  respond: {status: 404, body: "Not Found"}
                - match: {path: {value: /}}
                  backend: {service: vera-frontend, port: 3000}
                - match: {path: {value: /api}}
                  backend: {service: vera-backend, port: 8000}
            """;

    @TempDir
    static Path root;
    private static StandInPods standIns;
    private static ClusterStandIn cluster;

    private String ns;

    @BeforeAll
    static void startOperator(Testbed testbed) {
        standIns = new StandInPods();
        cluster = new ClusterStandIn(testbed, root, pod -> true, standIns);
    }

    @AfterAll
    static void stopOperator() {
        if (cluster != null) {
            cluster.close();
        }
        standIns.close();
    }

    /** A namespace of the test's own, with the Service the site's second route needs. */
    @BeforeEach
    void namespace() {
        ns = "backends-" + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36 * 36 * 36), 36);
        cluster.service(ns, "vera-frontend", 3000);
    }

    @AfterEach
    void deleteNamespace() {
        cluster.client.namespaces().withName(ns).delete();
    }

    @Test
    void aMissingServiceIsReportedAndNothingIsCreatedUntilItAppears() {
        cluster.create(site(THREE_ROUTES));

        ProxySiteStatus missing = eventually().until(() -> cluster.status(ns, "vera"),
                s -> condition(s, "ResolvedRefs").status().equals("False"));
        assertThat(condition(missing, "Accepted").status()).isEqualTo("True");
        assertThat(condition(missing, "ResolvedRefs")).satisfies(c -> {
            assertThat(c.reason()).isEqualTo("BackendNotFound");
            assertThat(c.message()).isEqualTo(
                    "spec.routes[2].backend.service: Service \"vera-backend\" not found in namespace \"" + ns + "\"");
        });
        assertThat(condition(missing, "Programmed")).satisfies(c -> {
            assertThat(c.status()).isEqualTo("False");
            assertThat(c.reason()).isEqualTo("RefsNotResolved");
        });
        eventually().untilAsserted(() -> assertThat(cluster.client.v1().events().inNamespace(ns).list().getItems())
                .anySatisfy(e -> {
                    assertThat(e.getType()).isEqualTo("Warning");
                    assertThat(e.getReason()).isEqualTo("BackendNotFound");
                    assertThat(e.getInvolvedObject().getName()).isEqualTo("vera");
                    assertThat(e.getMessage()).contains("spec.routes[2].backend.service");
                }));
        assertThat(get(Deployment.class, "vera-proxy")).as("no proxy without its backend").isNull();
        assertThat(get(Secret.class, "vera-proxy-config")).isNull();
        assertThat(get(Service.class, "vera-proxy")).isNull();
        assertThat(get(ServiceAccount.class, "vera-proxy")).isNull();

        cluster.service(ns, "vera-backend", 8000);

        ProxySiteStatus resolved = eventually().until(() -> cluster.status(ns, "vera"),
                s -> condition(s, "ResolvedRefs").status().equals("True"));
        assertThat(condition(resolved, "ResolvedRefs").reason()).isEqualTo("ResolvedRefs");
        Secret bundle = eventually().until(() -> get(Secret.class, "vera-proxy-config"), b -> b != null);
        assertThat(decode(bundle, "site.yaml")).contains("vera-backend");
        assertThat(cluster.awaitProgrammed(ns, "vera").configHash()).as("the pod serves it")
                .isEqualTo(cluster.bundleHash(ns, "vera"));
    }

    @Test
    void aServiceThatGoesAwayLeavesTheServingProxyUntouched() {
        cluster.service(ns, "vera-backend", 8000);
        cluster.create(site(THREE_ROUTES));
        ProxySiteStatus serving = cluster.awaitProgrammed(ns, "vera");
        Deployment before = get(Deployment.class, "vera-proxy");
        Secret bundleBefore = get(Secret.class, "vera-proxy-config");

        cluster.client.services().inNamespace(ns).withName("vera-backend").delete();

        ProxySiteStatus missing = eventually().until(() -> cluster.status(ns, "vera"),
                s -> condition(s, "ResolvedRefs").status().equals("False"));
        assertThat(condition(missing, "ResolvedRefs").reason()).isEqualTo("BackendNotFound");
        assertThat(condition(missing, "Programmed")).satisfies(c -> {
            assertThat(c.status()).isEqualTo("False");
            assertThat(c.message()).endsWith("the pods keep serving " + serving.configHash());
        });
        assertThat(missing.configHash()).isEqualTo(serving.configHash());
        assertThat(get(Deployment.class, "vera-proxy").getMetadata().getResourceVersion())
                .isEqualTo(before.getMetadata().getResourceVersion());
        assertThat(get(Secret.class, "vera-proxy-config").getMetadata().getResourceVersion())
                .isEqualTo(bundleBefore.getMetadata().getResourceVersion());
    }

    @Test
    void aServiceWithoutTheRoutesPortIsBackendPortNotFoundUntilItExposesIt() {
        cluster.service(ns, "vera-backend", 80, 443);
        cluster.create(site(THREE_ROUTES));

        ProxySiteStatus wrongPort = eventually().until(() -> cluster.status(ns, "vera"),
                s -> condition(s, "ResolvedRefs").status().equals("False"));
        assertThat(condition(wrongPort, "ResolvedRefs")).satisfies(c -> {
            assertThat(c.reason()).isEqualTo("BackendPortNotFound");
            assertThat(c.message()).isEqualTo("spec.routes[2].backend.port: Service \"vera-backend\" in namespace \""
                    + ns + "\" has no port 8000 (it exposes 80, 443)");
        });
        eventually().untilAsserted(() -> assertThat(cluster.client.v1().events().inNamespace(ns).list().getItems())
                .anySatisfy(e -> assertThat(e.getReason()).isEqualTo("BackendPortNotFound")));
        assertThat(get(Deployment.class, "vera-proxy")).isNull();

        // A change of the Service's ports is an event of the watch too.
        cluster.service(ns, "vera-backend", 80, 443, 8000);

        eventually().until(() -> cluster.status(ns, "vera"), s -> condition(s, "ResolvedRefs").status().equals("True"));
        cluster.awaitProgrammed(ns, "vera");
    }

    @Test
    void aNameWithADotLocalhostAndAnExternalNameServiceAreNotHeldBack() {
        cluster.client.services().inNamespace(ns).resource(new ServiceBuilder()
                .withNewMetadata().withName("vera-legacy").endMetadata()
                .withNewSpec().withType("ExternalName").withExternalName("legacy.example.net").endSpec()
                .build()).create();
        cluster.create(site("""
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

        ProxySiteStatus status = eventually().until(() -> cluster.status(ns, "vera"),
                s -> !condition(s, "ResolvedRefs").status().equals("Unknown"));
        assertThat(condition(status, "ResolvedRefs").status()).isEqualTo("True");
        cluster.awaitProgrammed(ns, "vera");
    }

    private dev.portico.crds.v1alpha1.ProxySite site(String routes) {
        return ProxySiteLoader.parse("""
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: vera, namespace: %s}
                spec:
                  hosts: ["vera.example.com"]
                  replicas: 1
                  routes:
                %s""".formatted(ns, routes));
    }

    private <T extends HasMetadata> T get(Class<T> kind, String name) {
        return cluster.get(kind, ns, name);
    }

    private static ConditionFactory eventually() {
        return Awaitility.await().atMost(ClusterStandIn.CONVERGE);
    }
}
