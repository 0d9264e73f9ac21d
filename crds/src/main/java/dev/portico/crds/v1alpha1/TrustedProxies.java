package dev.portico.crds.v1alpha1;

import static dev.portico.crds.v1alpha1.SchemaPatterns.CIDR;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/**
 * Who may tell us the client's address: peers inside {@code cidrs}, or the {@code hops}
 * right-most entries of X-Forwarded-For (the TRUST_PROXY=n of many apps). Not both.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
        value = "!(has(self.cidrs) && size(self.cidrs) > 0 && has(self.hops) && self.hops > 0)",
        message = "set cidrs or hops, not both")
public record TrustedProxies(
        @JsonPropertyDescription("IP addresses and CIDRs (10.0.0.0/8, fd00::/8) of trusted proxies. When the "
                + "TCP peer is one, X-Forwarded-For is walked from the right, skipping trusted addresses; the "
                + "first untrusted one is the client. Not together with hops.")
        List<@Pattern(CIDR) String> cidrs,

        @JsonPropertyDescription("Trust the n right-most hops of X-Forwarded-For: the client is the n-th "
                + "address from the right. 0: trust none. Not together with cidrs.")
        @Default("0")
        @Min(0)
        Integer hops) {}
