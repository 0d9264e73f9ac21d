package dev.portico.crds.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;

/**
 * Header edits for every request and response of the site, plus an optional security preset and
 * whether request fields spelled with underscores reach the backend.
 */
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
        HeaderModifier response,

        @JsonPropertyDescription("false (default): request header and trailer fields whose name contains an "
                + "underscore are dropped before the request goes upstream, as nginx does (underscores_in_headers "
                + "off): CGI, WSGI, PHP and Rack read X_Forwarded_For as X-Forwarded-For. true: they are "
                + "forwarded, except those that name, with '_' read as '-', a field the proxy sets or removes "
                + "itself (X-Forwarded-*, X-Real-IP, Forwarded, hop-by-hop and framing fields, names in the "
                + "request rules), which are always dropped.")
        @Default("false")
        Boolean underscoresInHeaders) {}
