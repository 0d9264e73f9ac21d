package dev.portico.crds.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** What a user asks for: one site, its hosts, and how its traffic is routed. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ProxySiteSpec(
        List<String> hosts,
        Integer replicas,
        Tls tls,
        Boolean http2,
        TrustedProxies trustedProxies,
        Limits limits,
        SiteHeaders headers,
        Compression compression,
        AccessControl accessControl,
        RateLimit rateLimit,
        List<Route> routes) {}
