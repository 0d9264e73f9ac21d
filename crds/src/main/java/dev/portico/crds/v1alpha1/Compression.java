package dev.portico.crds.v1alpha1;

import static dev.portico.crds.v1alpha1.SchemaPatterns.SIZE;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;

/** Response compression; never for text/event-stream. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Compression(
        @JsonPropertyDescription("Compress responses whose client accepts br, zstd or gzip.")
        @Default("false")
        Boolean enabled,

        @JsonPropertyDescription("Smallest response to compress, a quantity such as 1Ki; a response of "
                + "unknown length is compressed.")
        @Default("1Ki")
        @Pattern(SIZE)
        String minSize) {}
