package dev.portico.runtime.config;

import dev.portico.crds.ProxySiteLoader;
import dev.portico.runtime.policy.RateLimiters;
import dev.portico.runtime.tls.TlsCompiler;

/**
 * Compiles bundles into {@link SiteConfig}s. One per runtime, shared by the file reloader
 * and pushes, because it carries what must survive a reload whatever its source: TLS
 * contexts (their session caches and tickets) and rate-limit buckets, reused while their
 * settings do not change.
 */
public final class SiteBuilder {

    private final TlsCompiler tls = new TlsCompiler();
    private final RateLimiters limiters = new RateLimiters();

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
