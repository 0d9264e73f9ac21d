package dev.portico.crds.v1alpha1;

import static dev.portico.crds.v1alpha1.SchemaPatterns.HEADER_NAME;
import static dev.portico.crds.v1alpha1.SchemaPatterns.HEADER_VALUE;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import java.util.List;
import java.util.Map;

/** Header edits, applied in the order remove, set, add. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record HeaderModifier(
        @JsonPropertyDescription("Headers to set, replacing any of the same name (names are "
                + "case-insensitive). Values must not contain CR, LF or NUL.")
        Map<String, @Pattern(HEADER_VALUE) String> set,

        @JsonPropertyDescription("Headers to add next to any of the same name. Values must not contain "
                + "CR, LF or NUL.")
        Map<String, @Pattern(HEADER_VALUE) String> add,

        @JsonPropertyDescription("Names of headers to remove. Edits run in the order remove, set, add.")
        List<@Pattern(HEADER_NAME) String> remove) {}
