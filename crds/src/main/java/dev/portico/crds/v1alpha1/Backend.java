package dev.portico.crds.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;

/** The upstream of a route: a DNS name (a Service in the site's namespace in a cluster) and port. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Backend(String service, Integer port, BackendProtocol protocol, BackendTls tls) {

    /** Upstream TLS for {@code protocol: HTTPS}. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record BackendTls(Boolean insecureSkipVerify, String serverName) {}
}
