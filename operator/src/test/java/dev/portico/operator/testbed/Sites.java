package dev.portico.operator.testbed;

import dev.portico.crds.ProxySiteLoader;
import dev.portico.operator.api.ProxySiteResource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;

/** The smallest site the install tests apply: host NAME.example.com, one route to Service app:8000. */
public final class Sites {

    private Sites() {}

    public static ProxySiteResource minimal(String namespace, String name) {
        ProxySiteResource site = new ProxySiteResource();
        site.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
        site.setSpec(ProxySiteLoader.parse("""
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: %s, namespace: %s}
                spec:
                  hosts: ["%s.example.com"]
                  replicas: 1
                  routes:
                    - match: {path: {value: /}}
                      backend: {service: app, port: 8000}
                """.formatted(name, namespace, name)).spec());
        return site;
    }

    /** {@link #minimal} and its backend Service, created as a namespace's user would. */
    public static void create(KubernetesClient client, String namespace, String name) {
        client.services().inNamespace(namespace).resource(new ServiceBuilder().withNewMetadata().withName("app")
                .endMetadata().withNewSpec().addNewPort().withPort(8000).endPort().endSpec().build()).serverSideApply();
        client.resources(ProxySiteResource.class).inNamespace(namespace).resource(minimal(namespace, name)).create();
    }
}
