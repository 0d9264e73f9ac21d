package dev.portico.operator;

import dev.portico.crds.ProxySiteLoader;
import dev.portico.crds.v1alpha1.ProxySiteStatus;
import dev.portico.operator.api.ProxySiteResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * What the operator tests do to fabric8's mock API server, as a user or a controller of the
 * cluster would: create sites, Services and TLS Secrets, and read back what the operator made.
 */
final class MockCluster {

    static final String IMAGE = "portico/proxy-runtime:test";

    private final KubernetesMockServer server;
    private final KubernetesClient client;

    MockCluster(KubernetesMockServer server, KubernetesClient client) {
        this.server = server;
        this.client = client;
        server.expectCustomResource(CustomResourceDefinitionContext.fromCustomResourceType(ProxySiteResource.class));
    }

    /** The operator as OperatorMain assembles it, without server-side apply and leader election (the mock has neither). */
    Operator startOperator(Metrics metrics) {
        Operator operator = PorticoOperator.create(new OperatorConfig(IMAGE, Set.of(), false, false, null, 0),
                client, metrics, false);
        operator.start();
        return operator;
    }

    /** A site of one host, {@code NAME.example.com}, with the given routes (YAML list items, indented 4). */
    static String site(String name, String namespace, String extraSpec, String routes) {
        return """
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: %s, namespace: %s}
                spec:
                  hosts: ["%s.example.com"]
                  replicas: 1
                %s  routes:
                %s""".formatted(name, namespace, name, extraSpec, routes);
    }

    ProxySiteResource create(String yaml) {
        var document = ProxySiteLoader.parse(yaml);
        ProxySiteResource resource = new ProxySiteResource();
        resource.setMetadata(new ObjectMetaBuilder()
                .withName(document.metadata().name()).withNamespace(document.metadata().namespace()).build());
        resource.setSpec(document.spec());
        return client.resources(ProxySiteResource.class).inNamespace(document.metadata().namespace())
                .resource(resource).create();
    }

    /** A ClusterIP Service exposing {@code ports}; replaces one of that name. */
    Service createService(String namespace, String name, int... ports) {
        ServiceBuilder builder = new ServiceBuilder()
                .withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
                .withNewSpec().withType("ClusterIP").endSpec();
        for (int port : ports) {
            builder.editSpec().addNewPort().withName("p" + port).withPort(port).endPort().endSpec();
        }
        return client.services().inNamespace(namespace).resource(builder.build()).createOr(existing -> existing.update());
    }

    /** A kubernetes.io/tls Secret whose PEMs carry {@code marker}; replaces one of that name, as a renewal does. */
    void createTlsSecret(String namespace, String name, String marker) {
        Secret secret = new SecretBuilder()
                .withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
                .withType("kubernetes.io/tls")
                .withData(Map.of(
                        "tls.crt", base64("-----BEGIN CERTIFICATE-----\n" + marker + "\n-----END CERTIFICATE-----\n"),
                        "tls.key", base64("-----BEGIN PRIVATE KEY-----\n" + marker + "\n-----END PRIVATE KEY-----\n")))
                .build();
        client.secrets().inNamespace(namespace).resource(secret).createOr(existing -> existing.update());
    }

    <T extends HasMetadata> T get(Class<T> type, String namespace, String name) {
        return client.resources(type).inNamespace(namespace).withName(name).get();
    }

    ProxySiteStatus status(String namespace, String name) {
        ProxySiteResource site = get(ProxySiteResource.class, namespace, name);
        return site == null ? null : site.getStatus();
    }

    static Optional<ProxySiteStatus.Condition> condition(ProxySiteStatus status, String type) {
        if (status == null || status.conditions() == null) {
            return Optional.empty();
        }
        return status.conditions().stream().filter(c -> c.type().equals(type)).findFirst();
    }

    static boolean hasCondition(ProxySiteStatus status, String type, String value) {
        return condition(status, type).map(c -> c.status().equals(value)).orElse(false);
    }

    static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    static String decode(Secret secret, String key) {
        String value = secret.getData().get(key);
        return value == null ? "" : new String(Base64.getDecoder().decode(value), StandardCharsets.UTF_8);
    }

    /** The requests the mock server recorded since the last call. */
    List<RecordedRequest> drainRequests() throws InterruptedException {
        List<RecordedRequest> requests = new ArrayList<>();
        RecordedRequest request;
        while ((request = server.takeRequest(100, TimeUnit.MILLISECONDS)) != null) {
            requests.add(request);
        }
        return requests;
    }

    /** Every call but a read, as "METHOD path". */
    static List<String> writes(List<RecordedRequest> requests) {
        return requests.stream()
                .filter(r -> !r.getMethod().equals("GET"))
                .map(r -> r.getMethod() + " " + r.getPath())
                .toList();
    }
}
