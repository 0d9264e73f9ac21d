package dev.portico.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.crds.v1alpha1.ProxySiteStatus;
import dev.portico.crds.validation.Violation;
import dev.portico.operator.api.ProxySiteResource;
import dev.portico.operator.push.Rollout;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Ready means "serving the spec just applied" (issue 11): what kubectl wait and kstatus rely on. */
class StatusFactoryTest {

    private static final String SITE = """
            apiVersion: portico.dev/v1alpha1
            kind: ProxySite
            metadata: {name: vera, namespace: aidoo}
            spec:
              hosts: ["vera.example.com"]
              routes:
                - match: {path: {value: /}}
                  backend: {service: vera-frontend, port: 3000}
            """;
    private static final Instant NOW = Instant.parse("2026-12-02T12:00:00Z");
    private static final String URL = "http://vera.example.com";
    private static final Rollout SERVED = new Rollout(2, 2, "sha256:new", null);

    @Test
    void readyWhenAcceptedResolvedProgrammedAndAvailable() {
        ProxySiteStatus status = StatusFactory.status(site(), StatusFactory.Verdict.valid(), URL, null, List.of(), SERVED,
                available("True"), NOW);

        assertThat(condition(status, "Ready")).satisfies(c -> {
            assertThat(c.status()).isEqualTo("True");
            assertThat(c.reason()).isEqualTo("Available");
            assertThat(c.observedGeneration()).isEqualTo(4L);
        });
    }

    @Test
    void aRefusedSpecIsNotReadyWhileTheLastGoodOneServes() {
        ProxySiteResource site = site();
        site.setStatus(StatusFactory.status(site, StatusFactory.Verdict.valid(), URL, null, List.of(), SERVED, available("True"), NOW));
        site.getMetadata().setGeneration(5L);

        ProxySiteStatus status = StatusFactory.status(site,
                StatusFactory.Verdict.invalid(List.of(new Violation("spec.hosts[0]", "is not a DNS name"))), null, null, List.of(), null,
                available("True"), NOW.plusSeconds(10));

        assertThat(condition(status, "Ready")).satisfies(c -> {
            assertThat(c.status()).isEqualTo("False");
            assertThat(c.reason()).isEqualTo("Invalid");
            assertThat(c.message()).startsWith("the spec is not accepted: ").contains("spec.hosts[0]");
            assertThat(c.observedGeneration()).isEqualTo(5L);
        });
        assertThat(status.configHash()).as("the last good config still serves").isEqualTo("sha256:new");
    }

    @Test
    void anUnresolvedReferenceIsNotReady() {
        ProxySiteStatus status = StatusFactory.status(site(),
                StatusFactory.Verdict.unresolved("SecretNotFound", List.of(new Violation("spec.tls.certificates[0]",
                        "Secret vera-tls not found"))), URL, null, List.of(), null, available("True"), NOW);

        assertThat(condition(status, "Ready").status()).isEqualTo("False");
        assertThat(condition(status, "Ready").reason()).isEqualTo("SecretNotFound");
        assertThat(condition(status, "Ready").message()).contains("a reference is not resolved", "vera-tls");
    }

    @Test
    void podsStillServingTheOldConfigAreNotReady() {
        ProxySiteStatus status = StatusFactory.status(site(), StatusFactory.Verdict.valid(), URL, null, List.of(),
                new Rollout(1, 2, "sha256:new", "10.0.0.8: connection refused"), available("True"), NOW);

        assertThat(condition(status, "Programmed").status()).isEqualTo("False");
        assertThat(condition(status, "Ready").status()).isEqualTo("False");
        assertThat(condition(status, "Ready").reason()).isEqualTo("Pushing");
        assertThat(condition(status, "Ready").message()).contains("1/2 pods serve sha256:new");
    }

    @Test
    void programmedButUnavailableIsNotReady() {
        ProxySiteStatus status = StatusFactory.status(site(), StatusFactory.Verdict.valid(), URL, null, List.of(), SERVED,
                available("False"), NOW);

        assertThat(condition(status, "Programmed").status()).isEqualTo("True");
        assertThat(condition(status, "Ready").status()).isEqualTo("False");
        assertThat(condition(status, "Ready").reason()).isEqualTo("Unavailable");
        assertThat(condition(status, "Ready").message()).isEqualTo("Deployment does not have minimum availability.");
    }

    @Test
    void aFailedReconcileIsNotReadyAndKeepsTheRest() {
        ProxySiteResource site = site();
        site.setStatus(StatusFactory.status(site, StatusFactory.Verdict.valid(), URL, null, List.of(), SERVED, available("True"), NOW));

        ProxySiteStatus status = StatusFactory.failed(site, "Forbidden", "deployments is forbidden", NOW.plusSeconds(5));

        assertThat(condition(status, "Accepted").status()).isEqualTo("True");
        assertThat(condition(status, "Ready").status()).isEqualTo("False");
        assertThat(condition(status, "Ready").reason()).isEqualTo("Forbidden");
        assertThat(condition(status, "Ready").lastTransitionTime()).isEqualTo("2026-12-02T12:00:05Z");
        assertThat(status.configHash()).isEqualTo("sha256:new");
    }

    @Test
    void aConditionThatHoldsKeepsItsTransitionTime() {
        ProxySiteResource site = site();
        site.setStatus(StatusFactory.status(site, StatusFactory.Verdict.valid(), URL, null, List.of(), SERVED, available("True"), NOW));

        ProxySiteStatus later = StatusFactory.status(site, StatusFactory.Verdict.valid(), URL, null, List.of(), SERVED, available("True"),
                NOW.plusSeconds(60));

        assertThat(later).isEqualTo(site.getStatus());
    }

    private static ProxySiteResource site() {
        ProxySiteResource site = DerivedResourcesTest.site(SITE);
        site.getMetadata().setGeneration(4L);
        return site;
    }

    private static Optional<Deployment> available(String status) {
        return Optional.of(new DeploymentBuilder()
                .withNewStatus().withReplicas(2).withReadyReplicas("True".equals(status) ? 2 : 0)
                    .addNewCondition().withType("Available").withStatus(status)
                        .withMessage("True".equals(status) ? "Deployment has minimum availability."
                                : "Deployment does not have minimum availability.")
                    .endCondition()
                .endStatus().build());
    }

    private static ProxySiteStatus.Condition condition(ProxySiteStatus status, String type) {
        return status.conditions().stream().filter(c -> c.type().equals(type)).findFirst().orElseThrow();
    }
}
