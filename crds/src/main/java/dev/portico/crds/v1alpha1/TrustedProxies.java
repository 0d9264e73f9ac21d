package dev.portico.crds.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * Who may tell us the client's address: peers inside {@code cidrs}, or the {@code hops}
 * right-most entries of X-Forwarded-For (the TRUST_PROXY=n of many apps). Not both.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TrustedProxies(List<String> cidrs, Integer hops) {}
