package dev.portico.crds.v1alpha1;

import static dev.portico.crds.v1alpha1.SchemaPatterns.CORS_ORIGIN;
import static dev.portico.crds.v1alpha1.SchemaPatterns.HEADER_NAME;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/**
 * Cross-origin resource sharing, answered by the proxy: preflights get their answer here, other responses to a
 * request with an Origin get the Access-Control-Allow-* headers. The fields are Gateway API's HTTPCORSFilter's.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
        value = "(has(self.enabled) && !self.enabled) || (has(self.allowOrigins) && size(self.allowOrigins) > 0)",
        message = "allowOrigins needs at least one origin (or set enabled: false)",
        fieldPath = ".allowOrigins")
@ValidationRule(
        value = "!has(self.allowCredentials) || !self.allowCredentials || !has(self.allowOrigins)"
                + " || !self.allowOrigins.exists(o, o == '*')",
        message = "\"*\" cannot be combined with allowCredentials: true (browsers refuse it); list the origins",
        fieldPath = ".allowOrigins")
@ValidationRule(
        value = "!has(self.allowCredentials) || !self.allowCredentials || !has(self.exposeHeaders)"
                + " || !self.exposeHeaders.exists(h, h == '*')",
        message = "\"*\" cannot be combined with allowCredentials: true (browsers read it as a header named *); "
                + "list the headers",
        fieldPath = ".exposeHeaders")
public record Cors(
        @JsonPropertyDescription("Origins allowed to read responses: \"*\" for any origin (not with "
                + "allowCredentials), or scheme://host[:port] as browsers send it in Origin "
                + "(https://app.example.com, http://localhost:8080); the host may start with *. for any "
                + "sub-domain at any depth (https://*.example.com matches https://a.example.com and "
                + "https://a.b.example.com, not https://example.com). Scheme and host compare "
                + "case-insensitively, the port exactly (no port: the scheme's default, as browsers omit it).")
        @Size(max = 64)
        List<@Size(max = 263) @Pattern(CORS_ORIGIN) String> allowOrigins,

        @JsonPropertyDescription("Methods a preflight may ask for, or \"*\" for any. GET, HEAD and POST are "
                + "always allowed (browsers never preflight them for their method). Absent: GET, HEAD, POST.")
        @Size(max = 32)
        List<@Pattern(HEADER_NAME) String> allowMethods,

        @JsonPropertyDescription("Request headers a preflight may ask for (case-insensitive), or \"*\" for "
                + "any. Absent: none, so a preflight that asks for any header is refused (browsers ask for "
                + "headers beyond the CORS-safelisted ones, and for Content-Type with a value such as "
                + "application/json).")
        @Size(max = 64)
        List<@Pattern(HEADER_NAME) String> allowHeaders,

        @JsonPropertyDescription("Response headers the browser lets the page read besides the CORS-safelisted "
                + "ones (Access-Control-Expose-Headers), or \"*\" for all (not with allowCredentials).")
        @Size(max = 64)
        List<@Pattern(HEADER_NAME) String> exposeHeaders,

        @JsonPropertyDescription("Let the page send and read credentials (cookies, Authorization): "
                + "Access-Control-Allow-Credentials: true. Needs allowOrigins listed, not \"*\".")
        @Default("false")
        Boolean allowCredentials,

        @JsonPropertyDescription("Seconds a browser may cache a preflight's answer (Access-Control-Max-Age). "
                + "Browsers cap it (Chromium at 7200, Firefox at 86400).")
        @Default("5")
        @Min(0)
        @Max(86400)
        Integer maxAge,

        @JsonPropertyDescription("false: no CORS handling for this route, not even the site's; preflights "
                + "go to the route's action and backend CORS headers pass as they are. The other fields may "
                + "then be left out.")
        @Default("true")
        Boolean enabled) {}
