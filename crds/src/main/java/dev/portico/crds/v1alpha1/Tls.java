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
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/**
 * TLS termination; absent means the site serves plain HTTP only. The certificates are the ones
 * {@code certificates} names plus, with {@code acme}, the one the operator obtains
 * ({@link dev.portico.crds.ProxySiteDefaults#normalise} adds it to the list).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "(has(self.certificates) && size(self.certificates) > 0) || has(self.acme)",
        message = "name at least one certificate in certificates, or set acme", fieldPath = ".certificates")
public record Tls(
        @JsonPropertyDescription("The certificates to serve, chosen by SNI. A renewed Secret (e.g. by "
                + "cert-manager) is picked up without a restart; new handshakes use the new certificate. "
                + "A Secret that does not exist yet is served as a self-signed placeholder for its hosts "
                + "until it appears (status condition CertificateReady). Optional with acme, which adds "
                + "its own certificate.")
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
        Hsts hsts,

        @JsonPropertyDescription("Let the operator obtain and renew the certificate from an ACME CA (Let's "
                + "Encrypt by default) with HTTP-01 challenges answered by every proxy pod. The certificate "
                + "is written to acme.secretName and served for acme.hosts.")
        Acme acme) {

    /** A site without ACME, as most code builds one. */
    public Tls(List<Certificate> certificates, TlsVersion minVersion, Boolean httpRedirect, Hsts hsts) {
        this(certificates, minVersion, httpRedirect, hsts, null);
    }

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

    /**
     * The operator as ACME client (RFC 8555). Only HTTP-01 is offered: wildcards need DNS-01,
     * which is out of scope, so they are refused rather than silently skipped.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @ValidationRule(value = "!has(self.hosts) || self.hosts.all(h, !h.startsWith('*'))",
            message = "acme.hosts cannot hold wildcards: the CA proves a wildcard only over DNS-01, which Portico "
                    + "does not do (serve it from a cert-manager Secret in certificates)", fieldPath = ".hosts")
    public record Acme(
            @JsonPropertyDescription("Contact e-mail of the ACME account: the CA writes about expiring "
                    + "certificates and policy changes to it.")
            @Required
            @Size(max = 254)
            @Pattern(SchemaPatterns.EMAIL)
            String email,

            @JsonPropertyDescription("The CA's ACME directory URL, https only. Default: Let's Encrypt "
                    + "production. Let's Encrypt staging (untrusted certificates, generous rate limits): "
                    + "https://acme-staging-v02.api.letsencrypt.org/directory. A CA whose server certificate "
                    + "is not publicly trusted needs the operator's PORTICO_ACME_CA_FILE.")
            @Default("\"" + LETS_ENCRYPT + "\"")
            @Size(max = 2048)
            @Pattern("^https://")
            String directory,

            @JsonPropertyDescription("How the CA checks control of the hosts. HTTP-01 (the only one): the "
                    + "CA fetches http://HOST/.well-known/acme-challenge/TOKEN on port 80, which every proxy "
                    + "pod answers itself.")
            @Default("\"HTTP-01\"")
            AcmeChallenge challenge,

            @JsonPropertyDescription("The names the certificate covers, each one of spec.hosts; no wildcards "
                    + "(HTTP-01 cannot prove them). Absent: every spec.hosts entry that is not a wildcard.")
            @Size(max = 100)
            List<@Size(max = MAX_SITE_HOST_LENGTH) @Pattern(SITE_HOST) String> hosts,

            @JsonPropertyDescription("The kubernetes.io/tls Secret the operator writes the certificate and key to. "
                    + "It is not deleted with the ProxySite: re-issuing is rate-limited by the CA.")
            @Required
            @Size(max = SchemaPatterns.MAX_DNS_NAME_LENGTH)
            @Pattern(SECRET_NAME)
            String secretName,

            @JsonPropertyDescription("The Secret holding the ACME account's private key (key account.key); made "
                    + "when missing, reused after. Sites of a namespace that name the same Secret share one "
                    + "account per CA.")
            @Default("\"" + DEFAULT_ACCOUNT_SECRET + "\"")
            @Size(max = SchemaPatterns.MAX_DNS_NAME_LENGTH)
            @Pattern(SECRET_NAME)
            String accountSecretName) {

        public static final String LETS_ENCRYPT = "https://acme-v02.api.letsencrypt.org/directory";
        public static final String LETS_ENCRYPT_STAGING = "https://acme-staging-v02.api.letsencrypt.org/directory";
        public static final String DEFAULT_ACCOUNT_SECRET = "portico-acme-account";
    }
}
