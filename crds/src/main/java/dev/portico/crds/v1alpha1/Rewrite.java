package dev.portico.crds.v1alpha1;

import static dev.portico.crds.v1alpha1.SchemaPatterns.ABSOLUTE_PATH;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/** Replaces the matched PathPrefix with {@code replacePrefixMatch} before the request goes upstream. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Rewrite(
        @JsonPropertyDescription("Replaces the matched PathPrefix, e.g. prefix /api with / sends /api/users "
                + "upstream as /users. Starts with /.")
        @Required
        @Pattern(ABSOLUTE_PATH)
        String replacePrefixMatch) {}
