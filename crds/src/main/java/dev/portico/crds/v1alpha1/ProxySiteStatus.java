package dev.portico.crds.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** What the operator observed; written by the operator only. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ProxySiteStatus(
        Long observedGeneration,
        Integer replicas,
        Integer readyReplicas,
        String configHash,
        String url,
        List<Condition> conditions) {

    /** The shape of a standard {@code metav1.Condition}. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Condition(
            String type,
            String status,
            String reason,
            String message,
            Long observedGeneration,
            String lastTransitionTime) {}
}
