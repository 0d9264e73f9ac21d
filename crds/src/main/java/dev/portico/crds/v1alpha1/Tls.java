package dev.portico.crds.v1alpha1;

import static dev.portico.crds.v1alpha1.SchemaPatterns.MAX_SITE_HOST_LENGTH;
import static dev.portico.crds.v1alpha1.SchemaPatterns.SECRET_NAME;
import static dev.portico.crds.v1alpha1.SchemaPatterns.SITE_HOST;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.util.List;

/** TLS termination; absent means the site serves plain HTTP only. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Tls(
        @JsonPropertyDescription("The certificates to serve, chosen by SNI. A renewed Secret (e.g. by "
                + "cert-manager) is picked up without a restart; new handshakes use the new certificate.")
        @Required
        @Size(min = 1)
        List<Certificate> certificates,

        @JsonPropertyDescription("Oldest TLS version accepted: \"1.2\" or \"1.3\". Quote it in YAML.")
        @Default("\"1.2\"")
        TlsVersion minVersion,

        @JsonPropertyDescription("Answer plain HTTP with 301 to https://host/path?query, except "
                + "/.well-known/acme-challenge/ which is routed normally (for ACME HTTP-01).")
        @Default("true")
        Boolean httpRedirect,

        @JsonPropertyDescription("Send Strict-Transport-Security on TLS responses. Absent: no header "
                + "(unless headers.securityPreset is strict, which sends max-age=63072000; includeSubDomains).")
        Hsts hsts) {

    /** A {@code kubernetes.io/tls} Secret and the SNI names it serves (default: all spec.hosts). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Certificate(
            @JsonPropertyDescription("Name of a kubernetes.io/tls Secret in the ProxySite's namespace "
                    + "(outside a cluster: a folder of --secrets-dir with tls.crt and tls.key).")
            @Required
            @Size(max = SchemaPatterns.MAX_DNS_NAME_LENGTH)
            @Pattern(SECRET_NAME)
            String secretName,

            @JsonPropertyDescription("The SNI names this certificate serves, each one of spec.hosts. "
                    + "Absent: all of spec.hosts.")
            List<@Size(max = MAX_SITE_HOST_LENGTH) @Pattern(SITE_HOST) String> hosts) {}

    /** The Strict-Transport-Security header. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Hsts(
            @JsonPropertyDescription("max-age in seconds; default two years, what HSTS preload lists ask for.")
            @Default("63072000")
            @Min(0)
            Long maxAge,

            @JsonPropertyDescription("Add includeSubDomains. Off by default: it reaches sub-domains the site "
                    + "may not own.")
            @Default("false")
            Boolean includeSubDomains,

            @JsonPropertyDescription("Add preload.")
            @Default("false")
            Boolean preload) {}
}
