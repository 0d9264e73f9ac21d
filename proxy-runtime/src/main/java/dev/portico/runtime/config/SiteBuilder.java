package dev.portico.runtime.config;

import dev.portico.crds.ProxySiteLoader;
import dev.portico.runtime.balancing.BackendClusters;
import dev.portico.runtime.policy.RateLimiters;
import dev.portico.runtime.tls.AdminTlsCompiler;
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
    private final AdminTlsCompiler adminTls;
    private final RateLimiters limiters = new RateLimiters();
    private final BackendClusters clusters = new BackendClusters();

    /** @param stapling fetches OCSP responses for the certificates once a config holding them is accepted */
    public SiteBuilder(OcspStapling stapling) {
        this(stapling, null);
    }

    /**
     * @param adminTlsSecret the bundle's secret the admin listener serves ({@code --admin-tls-secret}); every
     *     bundle must then hold a valid one; null: the admin port speaks plain HTTP
     */
    public SiteBuilder(OcspStapling stapling, String adminTlsSecret) {
        this.tls = new TlsCompiler(stapling);
        this.adminTls = adminTlsSecret == null ? null : new AdminTlsCompiler(adminTlsSecret);
    }

    /** The backends' balancing and health state, for the metrics. */
    public BackendClusters clusters() {
        return clusters;
    }

    /**
     * Parses, validates and compiles a bundle, certificates included.
     *
     * @throws dev.portico.crds.InvalidProxySiteException when the site or one of its secrets is invalid
     */
    public SiteConfig build(Bundle bundle) {
        SiteConfig site;
        try {
            site = SiteCompiler.compile(ProxySiteLoader.load(bundle.siteYaml()), bundle.hash(),
                    bundle.revision(), tls, bundle.secrets(), limiters, bundle.acmeAnswers(), clusters,
                    bundle.endpoints());
            // Part of the bundle like the site's certificates: a bundle whose admin pair cannot serve is refused whole.
            site = adminTls == null ? site : site.withAdminTls(adminTls.compile(bundle.secrets()));
        } catch (RuntimeException e) {
            clusters.abandon();
            throw e;
        }
        clusters.commit();
        return site;
    }
}
