package dev.portico.crds.v1alpha1;

import static dev.portico.crds.v1alpha1.SchemaPatterns.ABSOLUTE_PATH;
import static dev.portico.crds.v1alpha1.SchemaPatterns.HOST_OR_IP;
import static dev.portico.crds.v1alpha1.SchemaPatterns.HTTP_SCHEME;
import static dev.portico.crds.v1alpha1.SchemaPatterns.MAX_DNS_NAME_LENGTH;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** A redirect; each absent part is kept from the request. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
        value = "!has(self.statusCode) || self.statusCode in [301, 302, 303, 307, 308]",
        message = "statusCode must be one of 301, 302, 303, 307, 308",
        fieldPath = ".statusCode")
public record Redirect(
        @JsonPropertyDescription("http or https. Absent: the request's.")
        @Pattern(HTTP_SCHEME)
        String scheme,

        @JsonPropertyDescription("Host name (or IP) without a port. Absent: the request's.")
        @Size(max = MAX_DNS_NAME_LENGTH)
        @Pattern(HOST_OR_IP)
        String hostname,

        @JsonPropertyDescription("Port, 1..65535. Absent: the request's (none when it is the scheme's default).")
        @Min(1)
        @Max(65535)
        Integer port,

        @JsonPropertyDescription("Path, starting with /. Absent: the request's. The query string is kept.")
        @Pattern(ABSOLUTE_PATH)
        String path,

        @JsonPropertyDescription("301, 302, 303, 307 or 308.")
        @Default("302")
        Integer statusCode) {}
