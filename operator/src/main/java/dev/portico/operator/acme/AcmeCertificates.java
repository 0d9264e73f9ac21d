package dev.portico.operator.acme;

import dev.portico.crds.v1alpha1.Tls;
import dev.portico.operator.api.ProxySiteResource;
import dev.portico.operator.pki.Pem;
import dev.portico.operator.pki.ServingCertificate;
import dev.portico.operator.reconciler.SiteEvents;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.shredzone.acme4j.AccountBuilder;
import org.shredzone.acme4j.Login;
import org.shredzone.acme4j.RenewalInfo;
import org.shredzone.acme4j.Session;
import org.shredzone.acme4j.connector.Resource;
import org.shredzone.acme4j.exception.AcmeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator as ACME client for every site with {@code tls.acme}. The reconciler asks
 * {@link #observe} what a site's certificate needs and renders what it answers (the HTTP-01
 * answers go into the bundle, the state into CertificateReady); the orders themselves run on
 * one worker thread of their own, never on a reconcile thread, and wake the site when they need
 * the pods (answers to push) or are done (the Secret it then reads). Reconcilers run on the
 * leader only, and only they hand work to the worker: only the leader orders.
 *
 * <p>One worker serialises all orders: two sites sharing an account never race to create it,
 * and a CA is never asked for more than one order at a time by this operator. A slow CA delays
 * the other sites' orders by at most {@link AcmeOrder#CA_WAIT} per step.
 */
public final class AcmeCertificates implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AcmeCertificates.class);
    /** How long the pods may take to serve pushed answers before the attempt fails. */
    static final Duration PODS_WAIT = Duration.ofMinutes(2);
    /**
     * How long a certificate just issued stands in for the Secret it was written to: the Secret's informer may
     * not have it yet, and a reconcile in between must not order again.
     */
    static final Duration ISSUED_GRACE = Duration.ofMinutes(2);
    /** How often the CA's renewal info (RFC 9773) is asked again; the RFC suggests a few times a day. */
    static final Duration RENEWAL_INFO_EVERY = Duration.ofHours(6);

    /**
     * What the reconciler does with a site's ACME state.
     *
     * @param answers  key authorizations the pods must serve now (into the bundle)
     * @param ready    whether the site serves a valid ACME certificate that is not failing to renew
     * @param reason   CertificateReady's reason
     * @param message  CertificateReady's message
     * @param nextLook when the site should be looked at again, at the latest
     */
    public record View(List<String> answers, boolean ready, String reason, String message, Instant nextLook) {}

    private final AcmeTrust trust;
    private final AcmeSecrets secrets;
    private final KubernetesClient client;
    private final Consumer<ResourceID> wake;
    private final Clock clock;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread thread = new Thread(r, "portico-acme");
        thread.setDaemon(true);
        return thread;
    });
    private final Map<ResourceID, SiteState> sites = new ConcurrentHashMap<>();

    /** @param wake reconciles a site soon (the reconciler's inbound event source) */
    public AcmeCertificates(KubernetesClient client, AcmeTrust trust, Consumer<ResourceID> wake, Clock clock) {
        this.client = client;
        this.trust = trust;
        this.secrets = new AcmeSecrets(client);
        this.wake = wake;
        this.clock = clock;
    }

    /** One site's ACME state; written by the worker, read by reconciles. */
    private static final class SiteState {
        volatile String settings;
        volatile ProxySiteResource site;
        volatile Future<?> running;
        volatile String progress = "";
        volatile List<String> answers = List.of();
        volatile CompletableFuture<Void> served;
        volatile int failures;
        volatile AcmeFailure lastFailure;
        volatile Instant nextAttempt = Instant.MIN;
        volatile String renewalInfoFor;
        volatile Instant renewalInfoAt = Instant.MIN;
        volatile RenewalTime.Window window;
        volatile X509Certificate issued;
        volatile Instant issuedAt = Instant.MIN;
    }

    /**
     * What the site's ACME certificate needs; starts an order when one is due and none runs.
     *
     * @param acme    the site's normalised tls.acme
     * @param current the chain in the certificate Secret, or null when it does not exist yet
     */
    public View observe(ProxySiteResource site, Tls.Acme acme, String current) {
        ResourceID id = ResourceID.fromResource(site);
        SiteState state = sites.computeIfAbsent(id, k -> new SiteState());
        state.site = site;
        String settings = String.join("|", acme.email(), acme.directory(), String.join(",", acme.hosts()),
                acme.secretName(), acme.accountSecretName());
        if (!settings.equals(state.settings)) {
            // New settings are a new attempt: a fixed mistake is not made to wait out the old backoff.
            state.settings = settings;
            state.failures = 0;
            state.lastFailure = null;
            state.nextAttempt = Instant.MIN;
        }
        Instant now = clock.instant();
        X509Certificate inSecret = leaf(current);
        X509Certificate issued = state.issued;
        // One written a moment ago stands in while the informer's cache does not have it yet.
        X509Certificate leaf = issued != null && now.isBefore(state.issuedAt.plus(ISSUED_GRACE))
                && (inSecret == null || inSecret.getNotBefore().before(issued.getNotBefore())) ? issued : inSecret;
        Instant renewAt = leaf == null ? null : renewAt(state, leaf);
        String due = OrderDecision.due(leaf, acme.hosts(), renewAt, now);
        Future<?> running = state.running;
        if (running != null && !running.isDone()) {
            return new View(state.answers, false, "Issuing", state.progress, now.plus(Duration.ofMinutes(1)));
        }
        if (due == null) {
            if (leaf != null && (!leaf.getSerialNumber().toString(16).equals(state.renewalInfoFor)
                    || state.renewalInfoAt.plus(RENEWAL_INFO_EVERY).isBefore(now))) {
                state.renewalInfoFor = leaf.getSerialNumber().toString(16);
                state.renewalInfoAt = now;
                worker.submit(() -> fetchRenewalInfo(id, state, acme, leaf));
            }
            return new View(List.of(), true, "Issued", "certificate from " + acme.directory() + " valid until "
                    + leaf.getNotAfter().toInstant() + "; renewal from " + renewAt, renewAt);
        }
        AcmeFailure failure = state.lastFailure;
        if (failure != null && now.isBefore(state.nextAttempt)) {
            String serving = leaf != null && leaf.getNotAfter().toInstant().isAfter(now)
                    ? "the current certificate (valid until " + leaf.getNotAfter().toInstant() + ") keeps serving"
                    : "a self-signed placeholder serves meanwhile";
            return new View(List.of(), false, failure.reason(), failure.getMessage() + "; " + serving
                    + "; next attempt at " + state.nextAttempt + " (" + state.failures + " failed in a row)",
                    state.nextAttempt);
        }
        state.progress = "ordering from " + acme.directory() + " (" + due + ")";
        state.running = worker.submit(() -> order(id, state, acme, leaf));
        return new View(List.of(), false, "Issuing", state.progress, now.plus(Duration.ofMinutes(1)));
    }

    /**
     * The reconciler's word that every ready pod serves a bundle holding {@code answers}: the order
     * waiting for exactly those may ask the CA to validate.
     */
    public void served(ResourceID site, List<String> answers) {
        SiteState state = sites.get(site);
        if (state == null || answers.isEmpty()) {
            return;
        }
        CompletableFuture<Void> served = state.served;
        if (served != null && new HashSet<>(answers).equals(new HashSet<>(state.answers))) {
            served.complete(null);
        }
    }

    /** Sites that are gone lose their state; a running order finishes (its certificate is kept). */
    public void retainOnly(Set<ResourceID> existing) {
        sites.keySet().retainAll(existing);
    }

    private Instant renewAt(SiteState state, X509Certificate leaf) {
        RenewalTime.Window window = leaf.getSerialNumber().toString(16).equals(state.renewalInfoFor) ? state.window : null;
        double spread = (leaf.getSerialNumber().hashCode() & 0xffff) / 65536.0;
        return RenewalTime.of(leaf.getNotBefore().toInstant(), leaf.getNotAfter().toInstant(), window, spread);
    }

    private void order(ResourceID id, SiteState state, Tls.Acme acme, X509Certificate replaces) {
        ProxySiteResource site = state.site;
        String name = site.getMetadata().getName();
        try {
            KeyPair account = secrets.accountKey(id.getNamespace().orElseThrow(), acme.accountSecretName(), name);
            Session session = trust.session(acme.directory());
            AcmeOrder.Issued issued = AcmeOrder.run(session, account, acme.email(), acme.hosts(), replaces,
                    answers -> publish(id, state, answers), progress -> {
                        state.progress = progress;
                        LOG.info("ProxySite {}: ACME {}", id, progress);
                    });
            secrets.writeCertificate(id.getNamespace().orElseThrow(), acme.secretName(), name, issued.chainPem(),
                    issued.keyPem());
            state.issued = issued.leaf();
            state.issuedAt = clock.instant();
            state.failures = 0;
            state.lastFailure = null;
            String message = "certificate for " + String.join(", ", acme.hosts()) + " issued by "
                    + issued.leaf().getIssuerX500Principal().getName() + ", valid until "
                    + issued.leaf().getNotAfter().toInstant() + ", written to Secret " + acme.secretName();
            LOG.info("ProxySite {}: {}", id, message);
            SiteEvents.record(client, site, "Normal", "Issued", message);
        } catch (AcmeFailure failure) {
            failed(id, state, failure);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            // The account or certificate Secret could not be read or written (RBAC, a Secret of another type).
            failed(id, state, new AcmeFailure("SecretError", e.getMessage(), null));
        } finally {
            state.answers = List.of();
            state.served = null;
            wake.accept(id);
        }
    }

    private void failed(ResourceID id, SiteState state, AcmeFailure failure) {
        state.failures++;
        state.lastFailure = failure;
        state.nextAttempt = Backoff.next(clock.instant(), state.failures, failure.retryAfter());
        LOG.warn("ProxySite {}: ACME {}: {}; next attempt at {}", id, failure.reason(), failure.getMessage(),
                state.nextAttempt);
        SiteEvents.record(client, state.site, "Warning", failure.reason(), failure.getMessage()
                + "; next attempt at " + state.nextAttempt);
    }

    /** Hands the answers to the reconciler (into the bundle) and waits until every ready pod serves them. */
    private void publish(ResourceID id, SiteState state, List<String> answers) throws AcmeFailure, InterruptedException {
        CompletableFuture<Void> served = new CompletableFuture<>();
        // In this order: a reconcile that sees the answers (and renders them) also sees what to complete.
        state.served = served;
        state.answers = List.copyOf(answers);
        wake.accept(id);
        try {
            served.get(PODS_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new AcmeFailure(AcmeFailure.PODS_NOT_SERVING, "the ready proxy pods did not all serve the HTTP-01 "
                    + "answers within " + PODS_WAIT.toSeconds() + "s (see the Programmed condition)", null);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    /** ACME Renewal Info for the serving certificate: a window earlier than two thirds brings renewal forward. */
    private void fetchRenewalInfo(ResourceID id, SiteState state, Tls.Acme acme, X509Certificate leaf) {
        try {
            Session session = trust.session(acme.directory());
            if (session.resourceUrlOptional(Resource.RENEWAL_INFO).isEmpty()) {
                state.window = null;
                return;
            }
            KeyPair account = secrets.accountKey(id.getNamespace().orElseThrow(), acme.accountSecretName(),
                    id.getName());
            Login login = new AccountBuilder().onlyExisting().useKeyPair(account).createLogin(session);
            RenewalInfo info = login.bindRenewalInfo(leaf);
            info.fetch();
            RenewalTime.Window window = new RenewalTime.Window(info.getSuggestedWindowStart(),
                    info.getSuggestedWindowEnd());
            boolean changed = !window.equals(state.window);
            state.window = window;
            if (changed) {
                wake.accept(id);
            }
        } catch (AcmeException | RuntimeException e) {
            // Renewal info is advice: without it, two thirds of the lifetime decide.
            LOG.info("ProxySite {}: no ACME renewal info ({}); renewing at two thirds of the lifetime", id,
                    e.getMessage());
        }
    }

    private static X509Certificate leaf(String chainPem) {
        if (chainPem == null) {
            return null;
        }
        try {
            return Pem.readCertificates(chainPem).get(0);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    @Override
    public void close() {
        worker.shutdownNow();
    }

    /** Hosts of {@code leaf}'s subjectAltName, for {@link OrderDecision}. */
    static Set<String> names(X509Certificate leaf) {
        return new HashSet<>(ServingCertificate.dnsNames(leaf));
    }
}
