package dev.portico.crds.v1alpha1;

import static dev.portico.crds.v1alpha1.SchemaPatterns.CIDR;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import java.util.List;

/** Allow and deny lists of CIDRs, checked against the resolved client IP; deny wins. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AccessControl(
        @JsonPropertyDescription("IPs and CIDRs allowed. Empty or absent: every address not denied.")
        List<@Pattern(CIDR) String> allow,

        @JsonPropertyDescription("IPs and CIDRs refused with 403; deny wins over allow.")
        List<@Pattern(CIDR) String> deny) {}
