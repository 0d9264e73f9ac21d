package dev.portico.crds.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;

/** Header edits for every request and response of the site, plus an optional security preset. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SiteHeaders(
        @JsonPropertyDescription("\"none\", or \"strict\": responses get Strict-Transport-Security (TLS only; "
                + "from tls.hsts, else max-age=63072000; includeSubDomains), X-Content-Type-Options: nosniff, "
                + "X-Frame-Options: DENY, Referrer-Policy: strict-origin-when-cross-origin, "
                + "Permissions-Policy: camera=(), microphone=(), geolocation=(), and Server removed; "
                + "a header the route or site sets itself wins.")
        @Default("none")
        SecurityPreset securityPreset,

        @JsonPropertyDescription("Edits of every request before it goes upstream.")
        HeaderModifier request,

        @JsonPropertyDescription("Edits of every response, the proxy's own error responses included.")
        HeaderModifier response) {}
