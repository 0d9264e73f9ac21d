package dev.portico.operator.pki;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin CA kept in the Secret {@value #SECRET_NAME} of the operator's namespace. Read on
 * first use, made when missing (two replicas may race: the loser of the create reads the
 * winner's back), rotated when due and its previous CA retired once every site's pods serve a
 * certificate of the new one; each change is written with the Secret's resourceVersion, so a
 * concurrent writer makes this one read the Secret again instead of overwriting it. Only the
 * leader reconciles, so after the first read the copy in memory is the truth.
 */
public final class AdminCaStore {

    public static final String SECRET_NAME = "portico-admin-ca";
    private static final Logger LOG = LoggerFactory.getLogger(AdminCaStore.class);

    private final KubernetesClient client;
    private final String namespace;
    private final Lifetimes lifetimes;
    private final Clock clock;
    /** Per site ("namespace/name"), the CA whose certificate all its ready pods serve, as last reported. */
    private final Map<String, X509Certificate> servedBySite = new ConcurrentHashMap<>();
    private volatile AdminCa ca;
    private String resourceVersion;

    public AdminCaStore(KubernetesClient client, String namespace, Lifetimes lifetimes, Clock clock) {
        this.client = client;
        this.namespace = Objects.requireNonNull(namespace, "namespace");
        this.lifetimes = lifetimes;
        this.clock = clock;
    }

    public Lifetimes lifetimes() {
        return lifetimes;
    }

    public String namespace() {
        return namespace;
    }

    /** The CAs a pod's certificate may chain to now; none before the Secret was first read. */
    public List<X509Certificate> trusted() {
        AdminCa current = ca;
        return current == null ? List.of() : current.trusted();
    }

    /**
     * The CA to issue with: read or made on first use, and rotated first when two thirds of its
     * life have passed.
     *
     * @return the CA and whether this call rotated it (then every site should be re-issued soon)
     * @throws KubernetesClientException when the Secret cannot be read or written
     */
    public synchronized Current current() {
        if (ca == null) {
            load();
        }
        Instant now = clock.instant();
        if (ca.rotationDue(now, lifetimes)) {
            AdminCa next = ca.rotated(now, lifetimes);
            if (write(next)) {
                LOG.info("Admin CA rotated: {} issues now; {} stays trusted until every site's pods serve the new one",
                        subject(next.issuing().certificate()), subject(next.previous()));
                return new Current(ca, true);
            }
        }
        return new Current(ca, false);
    }

    /** The issuing CA, and whether it was just rotated. */
    public record Current(AdminCa ca, boolean rotated) {}

    /**
     * Records which CA signed the certificate every ready pod of {@code site} serves (null: not all
     * of them serve the current bundle yet), and retires the previous CA once every site in
     * {@code liveSites} serves the issuing one.
     *
     * @return true when this call retired the previous CA
     */
    public synchronized boolean siteServes(String site, X509Certificate ca, Collection<String> liveSites) {
        if (ca == null) {
            servedBySite.remove(site);
        } else {
            servedBySite.put(site, ca);
        }
        servedBySite.keySet().retainAll(Set.copyOf(liveSites));
        AdminCa current = this.ca;
        if (current == null || !current.rotating()) {
            return false;
        }
        X509Certificate issuing = current.issuing().certificate();
        for (String live : liveSites) {
            if (!issuing.equals(servedBySite.get(live))) {
                return false;
            }
        }
        AdminCa retired = current.retired();
        if (write(retired)) {
            LOG.info("Admin CA {} retired: every site's pods serve certificates of {}", subject(current.previous()),
                    subject(issuing));
            return true;
        }
        return false;
    }

    private void load() {
        Secret secret = client.secrets().inNamespace(namespace).withName(SECRET_NAME).get();
        if (secret == null) {
            AdminCa fresh = AdminCa.create(clock.instant(), lifetimes);
            try {
                Secret created = client.secrets().inNamespace(namespace).resource(secret(fresh, null)).create();
                ca = fresh;
                resourceVersion = created.getMetadata().getResourceVersion();
                LOG.info("Admin CA {} created in Secret {}/{}", subject(fresh.issuing().certificate()), namespace,
                        SECRET_NAME);
                return;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409) {
                    throw e;
                }
                secret = client.secrets().inNamespace(namespace).withName(SECRET_NAME).require();
            }
        }
        read(secret);
    }

    private void read(Secret secret) {
        try {
            ca = AdminCa.fromData(decoded(secret));
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("Secret " + namespace + "/" + SECRET_NAME + " is not a usable admin CA: "
                    + e.getMessage() + " (delete it and the operator makes a new one)", e);
        }
        resourceVersion = secret.getMetadata().getResourceVersion();
    }

    /** Writes {@code next}; on a conflict reads the Secret back instead. Whether {@code next} is now the CA. */
    private boolean write(AdminCa next) {
        try {
            Secret updated = client.secrets().inNamespace(namespace).resource(secret(next, resourceVersion)).update();
            ca = next;
            resourceVersion = updated.getMetadata().getResourceVersion();
            return true;
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
            LOG.info("Secret {}/{} changed meanwhile; reading it again", namespace, SECRET_NAME);
            read(client.secrets().inNamespace(namespace).withName(SECRET_NAME).require());
            return false;
        }
    }

    private Secret secret(AdminCa state, String version) {
        Map<String, String> data = new LinkedHashMap<>();
        state.data().forEach((key, value) ->
                data.put(key, Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.US_ASCII))));
        return new SecretBuilder()
                .withNewMetadata()
                    .withName(SECRET_NAME)
                    .withNamespace(namespace)
                    .withResourceVersion(version)
                    // Not managed-by=portico: the site dependents' informers, which select that label, need not cache the CA key.
                    .addToLabels("app.kubernetes.io/name", SECRET_NAME)
                    .addToLabels("app.kubernetes.io/part-of", "portico")
                .endMetadata()
                .withType("Opaque")
                .withData(data)
                .build();
    }

    private static Map<String, String> decoded(Secret secret) {
        Map<String, String> data = new LinkedHashMap<>();
        if (secret.getData() != null) {
            secret.getData().forEach((key, value) ->
                    data.put(key, new String(Base64.getMimeDecoder().decode(value), StandardCharsets.US_ASCII)));
        }
        return data;
    }

    private static String subject(X509Certificate certificate) {
        return certificate == null ? "none" : certificate.getSubjectX500Principal().getName();
    }
}
