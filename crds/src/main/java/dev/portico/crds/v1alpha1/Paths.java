package dev.portico.crds.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;

/**
 * How request paths are treated before routing. Every path is normalised (RFC 3986 section 6.2.2)
 * and the normalised path is what routes match and what goes upstream; the one choice a site has
 * is what happens to encoded slashes, which some backends (GitLab-style project ids, object
 * stores) need kept.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Paths(
        @JsonPropertyDescription("Request paths holding %2F or %5C (an encoded / or \\): Reject (the default) "
                + "answers 400; Keep forwards them encoded, as part of a segment, never as a separator, so "
                + "/internal%2Fx does not match a PathPrefix /internal. Use Keep only for backends that do "
                + "not decode them into separators. Every path is normalised either way: %-escapes of "
                + "unreserved characters decoded, . and .. segments resolved, repeated slashes merged; "
                + "%00, a raw \\ or # and invalid escapes always get 400.")
        @Default("Reject")
        EscapedSlashes escapedSlashes) {}
