package dev.portico.crds.v1alpha1;

import static dev.portico.crds.v1alpha1.SchemaPatterns.HEADER_NAME;
import static dev.portico.crds.v1alpha1.SchemaPatterns.HEADER_VALUE;
import static dev.portico.crds.v1alpha1.SchemaPatterns.MAX_HOSTS;
import static dev.portico.crds.v1alpha1.SchemaPatterns.MAX_SITE_HOST_LENGTH;
import static dev.portico.crds.v1alpha1.SchemaPatterns.SITE_HOST;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/** Which requests a route takes: all of path, hosts and headers must match. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RouteMatch(
        @JsonPropertyDescription("The path to match. Absent: PathPrefix /, every path.")
        PathMatch path,

        @JsonPropertyDescription("Only requests for these hosts, each one of spec.hosts (written the same way). "
                + "Absent: all of spec.hosts.")
        @Size(max = MAX_HOSTS)
        List<@Size(max = MAX_SITE_HOST_LENGTH) @Pattern(SITE_HOST) String> hosts,

        @JsonPropertyDescription("Request headers that must all match.")
        List<HeaderMatch> headers) {

    /** A path and how to compare it with the request's. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @ValidationRule(
            value = "has(self.value) || !has(self.type) || self.type != 'RegularExpression'",
            message = "value is required with type RegularExpression")
    @ValidationRule(
            value = "!has(self.value) || (has(self.type) && self.type == 'RegularExpression')"
                    + " || self.value.startsWith('/')",
            message = "value must start with / (unless type is RegularExpression)",
            fieldPath = ".value")
    public record PathMatch(
            @JsonPropertyDescription("PathPrefix matches whole segments (/api matches /api and /api/x, not "
                    + "/apix); Exact matches that one path; RegularExpression is a java.util.regex pattern "
                    + "that must match the whole path.")
            @Default("PathPrefix")
            PathMatchType type,

            @JsonPropertyDescription("The path, starting with / (not for RegularExpression), compared with the "
                    + "normalised request path (escapes of unreserved characters decoded, . and .. segments "
                    + "resolved, repeated slashes merged; see spec.paths), without the query string. Exact and "
                    + "PathPrefix values are normalised the same way. Absent: / (required with "
                    + "RegularExpression).")
            String value) {}

    /** An exact, case-sensitive match of one request header's value. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record HeaderMatch(
            @JsonPropertyDescription("Header name, case-insensitive.")
            @Required
            @Pattern(HEADER_NAME)
            String name,

            @JsonPropertyDescription("The value the header must have, compared exactly (case-sensitive). "
                    + "Use \"\" for an empty value.")
            @Required
            @Pattern(HEADER_VALUE)
            String value) {}
}
