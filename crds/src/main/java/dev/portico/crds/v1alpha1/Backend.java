package dev.portico.crds.v1alpha1;

import static dev.portico.crds.v1alpha1.SchemaPatterns.DNS_NAME;
import static dev.portico.crds.v1alpha1.SchemaPatterns.ENDPOINT_ADDRESS;
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
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/** The upstream of a route: a DNS name (a Service in the site's namespace in a cluster) and port. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
        value = "!has(self.tls) || !has(self.tls.offerHttp2) || !self.tls.offerHttp2"
                + " || (has(self.protocol) && self.protocol == 'HTTPS')",
        message = "tls.offerHttp2 is only allowed with protocol HTTPS (H2C and GRPC speak HTTP/2 anyway)",
        fieldPath = ".tls.offerHttp2")
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

        @JsonPropertyDescription("HTTP (HTTP/1.1), HTTPS (HTTP/1.1 over TLS; see tls.offerHttp2), H2C (cleartext "
                + "HTTP/2, prior knowledge) or GRPC (HTTP/2; cleartext, or TLS when tls is set).")
        @Default("HTTP")
        BackendProtocol protocol,

        @JsonPropertyDescription("Upstream TLS settings: for protocol HTTPS, and for GRPC, where setting it "
                + "turns TLS on. No effect with HTTP or H2C.")
        BackendTls tls,

        @JsonPropertyDescription("Where to connect, instead of resolving service: IP addresses with an optional "
                + "port (10.0.0.5, 10.0.0.5:8080, [fd00::5]:8080; absent port: port). For a standalone runtime; "
                + "in a cluster the operator finds a Service's endpoints itself. service stays the name for "
                + "SNI and certificate checks.")
        @Size(max = 64)
        List<@Pattern(ENDPOINT_ADDRESS) String> addresses,

        @JsonPropertyDescription("How requests are spread over the backend's endpoints. Absent: RoundRobin.")
        LoadBalancer loadBalancer,

        @JsonPropertyDescription("Endpoint health. Absent: passive health checks with their defaults.")
        HealthCheck healthCheck) {

    /** Health checking of a backend's endpoints. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record HealthCheck(
            @JsonPropertyDescription("Outlier detection from the responses of real requests. Absent: its defaults.")
            PassiveHealth passive) {}

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
            String serverName,

            @JsonPropertyDescription("Offer HTTP/2 (ALPN h2, then http/1.1) to an HTTPS backend and speak what it "
                    + "picks. Default false: HTTP/1.1 only. GRPC always offers h2 alone.")
            @Default("false")
            Boolean offerHttp2) {}
}
