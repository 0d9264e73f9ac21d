package dev.portico.runtime.config;

import dev.portico.crds.ProxySiteLoader;
import dev.portico.runtime.policy.RateLimiters;
import dev.portico.runtime.tls.TlsCompiler;
import dev.portico.runtime.tls.ocsp.OcspStapling;

/**
 * Compiles bundles into {@link SiteConfig}s. One per runtime, shared by the file reloader
 * and pushes, because it carries what must survive a reload whatever its source: TLS
 * contexts (their session caches and tickets) and rate-limit buckets, reused while their
 * settings do not change, and the OCSP staples of the certificates serving.
 */
public final class SiteBuilder {

    private final TlsCompiler tls;
    private final RateLimiters limiters = new RateLimiters();

    /** @param stapling fetches OCSP responses for the certificates once a config holding them is accepted */
    public SiteBuilder(OcspStapling stapling) {
        this.tls = new TlsCompiler(stapling);
    }

    /**
     * Parses, validates and compiles a bundle, certificates included.
     *
     * @throws dev.portico.crds.InvalidProxySiteException when the site or one of its secrets is invalid
     */
    public SiteConfig build(Bundle bundle) {
        return SiteCompiler.compile(ProxySiteLoader.load(bundle.siteYaml()), bundle.hash(), bundle.revision(),
                tls, bundle.secrets(), limiters);
    }
}
