package dev.portico.operator.reconciler;

import dev.portico.crds.ProxySiteDefaults;
import dev.portico.crds.ProxySiteLoader;
import dev.portico.crds.bundle.AcmeChallengeAnswers;
import dev.portico.crds.bundle.BackendEndpoints;
import dev.portico.crds.bundle.BundleFiles;
import dev.portico.crds.bundle.ConfigPush;
import dev.portico.crds.v1alpha1.ProxySite;
import dev.portico.crds.v1alpha1.ProxySiteSpec;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Everything a proxy pod reads, as the keys of the config bundle Secret: {@code site.yaml}
 * (the normalised spec), the pods' admin certificate as the secret {@code _admin}, and, per
 * referenced TLS Secret, {@code <name>.tls.crt} and
 * {@code <name>.tls.key}, per basic-auth Secret {@code <name>.htpasswd}, and the backends' pod addresses
 * {@code backend-endpoints.json} (Secret keys cannot hold a '/'; the
 * volume's items put them at {@code secrets/<name>/tls.crt} and {@code secrets/<name>/auth}, the layout of the
 * runtime's --secrets-dir).
 *
 * @param files key to file content, sorted by key
 * @param hash {@link BundleFiles#hash}: what the pods report once they serve this bundle
 * @param revision orders bundles (docs/config-push.md); 0 until {@link #at} sets it
 */
record ConfigBundle(SortedMap<String, String> files, String hash, long revision) {

    static final String SITE_FILE = BundleFiles.SITE_FILE;

    /** A certificate and key in PEM, as a {@code kubernetes.io/tls} Secret holds them. */
    record TlsPair(String certificate, String key) {}

    /**
     * @param normalisedSpec a valid spec with its defaults written out
     * @param tlsPairs each referenced TLS Secret's PEMs by Secret name
     * @param admin the pods' admin certificate and key, the bundle's secret
     *     {@link DerivedResources#ADMIN_TLS_SECRET}: a renewal is delivered like any other change
     */
    static ConfigBundle render(String name, String namespace, ProxySiteSpec normalisedSpec, Map<String, TlsPair> tlsPairs,
            TlsPair admin) {
        return render(name, namespace, normalisedSpec, tlsPairs, admin, Map.of(), List.of());
    }

    /** @param htpasswd each referenced basic-auth Secret's htpasswd lines (its key {@code auth}) by Secret name */
    static ConfigBundle render(String name, String namespace, ProxySiteSpec normalisedSpec, Map<String, TlsPair> tlsPairs,
            TlsPair admin, Map<String, String> htpasswd) {
        return render(name, namespace, normalisedSpec, tlsPairs, admin, htpasswd, List.of());
    }

    /**
     * @param acmeAnswers the key authorizations of the site's pending HTTP-01 challenges: a site with
     *     tls.acme always has the file {@link BundleFiles#ACME_CHALLENGES_FILE}, empty between orders
     */
    static ConfigBundle render(String name, String namespace, ProxySiteSpec normalisedSpec, Map<String, TlsPair> tlsPairs,
            TlsPair admin, Collection<String> acmeAnswers) {
        return render(name, namespace, normalisedSpec, tlsPairs, admin, Map.of(), acmeAnswers);
    }

    /**
     * @param htpasswd    each referenced basic-auth Secret's htpasswd lines (its key {@code auth}) by Secret name
     * @param acmeAnswers the key authorizations of the site's pending HTTP-01 challenges
     */
    static ConfigBundle render(String name, String namespace, ProxySiteSpec normalisedSpec, Map<String, TlsPair> tlsPairs,
            TlsPair admin, Map<String, String> htpasswd, Collection<String> acmeAnswers) {
        return render(name, namespace, normalisedSpec, tlsPairs, admin, htpasswd, acmeAnswers, BackendEndpoints.none());
    }

    /**
     * @param endpoints the pod addresses of the backend Services the operator resolved: always a
     *     file of the bundle ("{}" when none is), so that an endpoint change is a push, never a
     *     change of the pod template
     */
    static ConfigBundle render(String name, String namespace, ProxySiteSpec normalisedSpec, Map<String, TlsPair> tlsPairs,
            TlsPair admin, Map<String, String> htpasswd, Collection<String> acmeAnswers, BackendEndpoints endpoints) {
        SortedMap<String, String> files = new TreeMap<>();
        files.put(BundleFiles.ENDPOINTS_FILE, endpoints.render());
        // No generation in the file: an edit that changes nothing the proxy serves must not roll the pods.
        ProxySite site = new ProxySite(ProxySite.API_VERSION, ProxySite.KIND,
                new ProxySite.Metadata(name, namespace, null), ProxySiteDefaults.runtimeView(normalisedSpec));
        files.put(SITE_FILE, ProxySiteLoader.toYaml(site));
        files.put(certificateKey(DerivedResources.ADMIN_TLS_SECRET), admin.certificate());
        files.put(privateKeyKey(DerivedResources.ADMIN_TLS_SECRET), admin.key());
        if (normalisedSpec.tls() != null && normalisedSpec.tls().acme() != null) {
            files.put(BundleFiles.ACME_CHALLENGES_FILE, AcmeChallengeAnswers.render(acmeAnswers));
        }
        tlsPairs.forEach((secretName, pair) -> {
            files.put(certificateKey(secretName), pair.certificate());
            files.put(privateKeyKey(secretName), pair.key());
        });
        htpasswd.forEach((secretName, lines) -> files.put(BundleFiles.htpasswdKey(secretName), lines));
        return new ConfigBundle(files, BundleFiles.hash(files), 0);
    }

    /**
     * This bundle at its revision: the current one's when nothing changed, else one above it
     * and at least the wall clock in milliseconds, so that revisions only grow, also across an
     * operator failover whose cache is a moment behind.
     *
     * @param current hash and revision of the bundle Secret as it is now, or null if there is none
     */
    ConfigBundle at(Deployed current, long nowMillis) {
        if (current != null && current.hash().equals(hash)) {
            return new ConfigBundle(files, hash, current.revision());
        }
        long previous = current == null ? 0 : current.revision();
        return new ConfigBundle(files, hash, Math.max(previous + 1, nowMillis));
    }

    /** The hash and revision a bundle Secret carries. */
    record Deployed(String hash, long revision) {}

    /** What the runtime's PUT /config takes. */
    ConfigPush push() {
        return new ConfigPush(revision, hash, files);
    }

    static String certificateKey(String secretName) {
        return BundleFiles.certificateKey(secretName);
    }

    static String privateKeyKey(String secretName) {
        return BundleFiles.privateKeyKey(secretName);
    }
}
