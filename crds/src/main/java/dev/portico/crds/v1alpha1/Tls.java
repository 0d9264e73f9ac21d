package dev.portico.crds.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** TLS termination; absent means the site serves plain HTTP only. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Tls(List<Certificate> certificates, TlsVersion minVersion, Boolean httpRedirect, Hsts hsts) {

    /** A {@code kubernetes.io/tls} Secret and the SNI names it serves (default: all spec.hosts). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Certificate(String secretName, List<String> hosts) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Hsts(Long maxAge, Boolean includeSubDomains, Boolean preload) {}
}
