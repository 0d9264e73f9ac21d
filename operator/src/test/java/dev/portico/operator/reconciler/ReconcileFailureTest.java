package dev.portico.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.AggregatedOperatorException;
import io.javaoperatorsdk.operator.OperatorException;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReconcileFailureTest {

    private static final String FORBIDDEN = "deployments.apps \"vera-proxy\" is forbidden: User "
            + "\"system:serviceaccount:portico-system:portico-operator\" cannot patch resource \"deployments\" in API "
            + "group \"apps\" in the namespace \"aidoo\"";

    private static KubernetesClientException refusal(int code, String message) {
        return new KubernetesClientException("Failure executing: PATCH at: https://127.0.0.1/apis/apps/v1/...", code,
                new StatusBuilder().withCode(code).withMessage(message).build());
    }

    @Test
    void aForbiddenWriteInsideAWorkflowNamesTheCallInTheApiServersWords() {
        Exception failure = new AggregatedOperatorException("Exception(s) during workflow execution.",
                Map.of("deployment", new OperatorException(refusal(403, FORBIDDEN))));

        ReconcileFailure why = ReconcileFailure.of(failure);

        assertThat(why.reason()).isEqualTo("Forbidden");
        assertThat(why.message()).contains("ServiceAccount lacks a permission").endsWith(FORBIDDEN);
    }

    @Test
    void aWriteIntoANamespaceBeingDeletedIsNotBlamedOnRbacNorReported() {
        KubernetesClientException refusal = new KubernetesClientException("Failure executing: PATCH", 403,
                new StatusBuilder().withCode(403).withReason("Forbidden")
                        .withMessage("secrets \"vera-proxy-config\" is forbidden: unable to create new content in "
                                + "namespace aidoo because it is being terminated")
                        .withNewDetails().addNewCause().withReason("NamespaceTerminating")
                        .withMessage("namespace aidoo is being terminated").withField("metadata.namespace").endCause()
                        .endDetails()
                        .build());

        ReconcileFailure why = ReconcileFailure.of(new OperatorException(refusal));

        assertThat(why.reason()).isEqualTo("NamespaceTerminating");
        assertThat(why.message()).doesNotContain("ServiceAccount");
        assertThat(why.reportable()).isFalse();
        assertThat(ReconcileFailure.of(refusal(403, FORBIDDEN)).reportable()).isTrue();
    }

    @Test
    void otherRefusalsKeepTheirCode() {
        ReconcileFailure why = ReconcileFailure.of(new RuntimeException(refusal(422, "spec.replicas: Invalid value")));

        assertThat(why.reason()).isEqualTo("ApiServerError");
        assertThat(why.message()).contains("(422)").endsWith("spec.replicas: Invalid value");
    }

    @Test
    void anythingElseSaysWhatItIs() {
        assertThat(ReconcileFailure.of(new IllegalStateException("boom")))
                .isEqualTo(new ReconcileFailure("ReconcileError", "boom"));
        assertThat(ReconcileFailure.of(new NullPointerException()).message()).isEqualTo("NullPointerException");
    }
}
