package dev.portico.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.crds.ProxySiteDefaults;
import dev.portico.crds.ProxySiteLoader;
import dev.portico.crds.v1alpha1.ProxySiteSpec;
import dev.portico.crds.validation.Violation;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Which backend names the operator checks, and what it says about them; no server. */
class BackendServicesTest {

    @Test
    void onlyAPlainServiceNameIsChecked() {
        assertThat(BackendServices.serviceName("vera-backend")).contains("vera-backend");
        assertThat(BackendServices.serviceName("Vera-Backend")).as("DNS is case-insensitive").contains("vera-backend");
        for (String unchecked : new String[] {"vera-backend.other-ns", "vera-backend.other-ns.svc.cluster.local",
                "api.example.com", "10.0.0.7", "fd00::7", "localhost", "LOCALHOST", "3vera", "-vera", "vera-"}) {
            assertThat(BackendServices.serviceName(unchecked)).as(unchecked).isEmpty();
        }
    }

    @Test
    void checkedNamesAreDistinctAndInTheOrderWritten() {
        ProxySiteSpec spec = spec("""
                    - match: {path: {value: /b}}
                      backend: {service: beta, port: 80}
                    - match: {path: {value: /x}}
                      backend: {service: api.example.com, port: 443}
                    - match: {path: {value: /r}}
                      respond: {status: 404}
                    - match: {path: {value: /a}}
                      backend: {service: alpha, port: 80}
                    - match: {path: {value: /b2}}
                      backend: {service: beta, port: 81}
                """);
        assertThat(BackendServices.checkedNames(spec)).containsExactly("beta", "alpha");
    }

    @Test
    void aMissingServiceNamesTheRoutesServiceField() {
        ProxySiteSpec spec = spec("""
                    - match: {path: {value: /internal/}}
                      respond: {status: 404}
                    - match: {path: {value: /app}}
                      backend: {service: vera-frontend, port: 3000}
                    - match: {path: {value: /api}}
                      backend: {service: vera-backend, port: 8000}
                """);
        var services = Map.of("vera-frontend", service("ClusterIP", 3000));

        StatusFactory.Verdict verdict = BackendServices.resolve(spec, "aidoo", name -> Optional.ofNullable(services.get(name)));

        assertThat(verdict.unresolvedReason()).isEqualTo("BackendNotFound");
        assertThat(verdict.unresolved()).extracting(Violation::toString).containsExactly(
                "spec.routes[2].backend.service: Service \"vera-backend\" not found in namespace \"aidoo\"");
    }

    @Test
    void aServiceWithoutTheRoutesPortNamesThePortField() {
        ProxySiteSpec spec = spec("""
                    - match: {path: {value: /}}
                      backend: {service: vera-backend, port: 8000}
                """);
        Service service = service("ClusterIP", 80, 443);

        StatusFactory.Verdict verdict = BackendServices.resolve(spec, "aidoo", name -> Optional.of(service));

        assertThat(verdict.unresolvedReason()).isEqualTo("BackendPortNotFound");
        assertThat(verdict.unresolved()).extracting(Violation::toString).containsExactly(
                "spec.routes[0].backend.port: Service \"vera-backend\" in namespace \"aidoo\" has no port 8000 "
                        + "(it exposes 80, 443)");
    }

    @Test
    void aMissingServiceOutranksAWrongPortInTheReason() {
        ProxySiteSpec spec = spec("""
                    - match: {path: {value: /a}}
                      backend: {service: alpha, port: 8000}
                    - match: {path: {value: /b}}
                      backend: {service: beta, port: 80}
                """);
        var services = Map.of("alpha", service("ClusterIP", 80));

        StatusFactory.Verdict verdict = BackendServices.resolve(spec, "aidoo", name -> Optional.ofNullable(services.get(name)));

        assertThat(verdict.unresolvedReason()).isEqualTo("BackendNotFound");
        assertThat(verdict.unresolved()).extracting(Violation::path)
                .containsExactly("spec.routes[0].backend.port", "spec.routes[1].backend.service");
    }

    @Test
    void theServicePortCountsNotTheTargetPortAndExternalNamePassesAnyPort() {
        Service targetOnly = new ServiceBuilder().withNewMetadata().withName("vera").endMetadata()
                .withNewSpec().addNewPort().withPort(80).withNewTargetPort(8000).endPort().endSpec().build();
        assertThat(BackendServices.portProblem(targetOnly, 80)).isNull();
        assertThat(BackendServices.portProblem(targetOnly, 8000)).isEqualTo("has no port 8000 (it exposes 80)");
        assertThat(BackendServices.portProblem(service("ClusterIP"), 80)).isEqualTo("exposes no ports; the route needs port 80");
        assertThat(BackendServices.portProblem(service("ExternalName"), 8443)).isNull();
    }

    @Test
    void uncheckedNamesNeedNoService() {
        ProxySiteSpec spec = spec("""
                    - match: {path: {value: /a}}
                      backend: {service: vera-backend.other-ns, port: 80}
                    - match: {path: {value: /b}}
                      backend: {service: localhost, port: 9000}
                """);
        assertThat(BackendServices.resolve(spec, "aidoo", name -> Optional.empty()).isResolved()).isTrue();
    }

    private static ProxySiteSpec spec(String routes) {
        return ProxySiteDefaults.normalise(ProxySiteLoader.parse("""
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: vera, namespace: aidoo}
                spec:
                  hosts: [vera.example.com]
                  routes:
                """ + routes).spec());
    }

    private static Service service(String type, int... ports) {
        ServiceBuilder builder = new ServiceBuilder().withNewMetadata().withName("svc").endMetadata()
                .withNewSpec().withType(type).endSpec();
        for (int port : ports) {
            builder.editSpec().addNewPort().withPort(port).endPort().endSpec();
        }
        return builder.build();
    }
}
