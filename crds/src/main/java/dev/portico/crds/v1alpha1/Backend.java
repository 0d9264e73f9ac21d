package dev.portico.crds.v1alpha1;

import static dev.portico.crds.v1alpha1.SchemaPatterns.DNS_NAME;
import static dev.portico.crds.v1alpha1.SchemaPatterns.HOST_OR_IP;
import static dev.portico.crds.v1alpha1.SchemaPatterns.MAX_DNS_NAME_LENGTH;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/** The upstream of a route: a DNS name (a Service in the site's namespace in a cluster) and port. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Backend(
        @JsonPropertyDescription("DNS name or IP address of the upstream. In a cluster a bare name is a Service "
                + "in the ProxySite's namespace.")
        @Required
        @Size(max = MAX_DNS_NAME_LENGTH)
        @Pattern(HOST_OR_IP)
        String service,

        @JsonPropertyDescription("Port of the upstream, 1..65535.")
        @Required
        @Min(1)
        @Max(65535)
        Integer port,

        @JsonPropertyDescription("HTTP, or HTTPS to speak TLS to the upstream (see tls).")
        @Default("HTTP")
        BackendProtocol protocol,

        @JsonPropertyDescription("Upstream TLS settings for protocol HTTPS; no effect with HTTP.")
        BackendTls tls) {

    /** Upstream TLS for {@code protocol: HTTPS}. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record BackendTls(
            @JsonPropertyDescription("Accept any upstream certificate. For testing only.")
            @Default("false")
            Boolean insecureSkipVerify,

            @JsonPropertyDescription("SNI and the name the upstream certificate is verified against. Absent: "
                    + "the service name (none for an IP address).")
            @Size(max = MAX_DNS_NAME_LENGTH)
            @Pattern(DNS_NAME)
            String serverName) {}
}
