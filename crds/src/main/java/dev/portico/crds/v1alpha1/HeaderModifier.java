package dev.portico.crds.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/** Header edits, applied in the order remove, set, add. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record HeaderModifier(Map<String, String> set, Map<String, String> add, List<String> remove) {}
