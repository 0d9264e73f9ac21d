package dev.portico.crds.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** Allow and deny lists of CIDRs, checked against the resolved client IP; deny wins. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AccessControl(List<String> allow, List<String> deny) {}
