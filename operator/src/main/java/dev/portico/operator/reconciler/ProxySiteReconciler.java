package dev.portico.operator.reconciler;

import dev.portico.crds.ProxySiteDefaults;
import dev.portico.crds.v1alpha1.ProxySite;
import dev.portico.crds.v1alpha1.ProxySiteSpec;
import dev.portico.crds.v1alpha1.ProxySiteStatus;
import dev.portico.crds.v1alpha1.Tls;
import dev.portico.crds.validation.ProxySiteValidator;
import dev.portico.crds.validation.Violation;
import dev.portico.operator.acme.AcmeCertificates;
import dev.portico.operator.api.ProxySiteResource;
import dev.portico.operator.pki.AdminCa;
import dev.portico.operator.pki.AdminCaStore;
import dev.portico.operator.pki.Authority;
import dev.portico.operator.pki.Placeholder;
import dev.portico.operator.pki.ServingCertificate;
import dev.portico.operator.OperatorConfig;
import dev.portico.operator.api.ProxyClassResource;
import dev.portico.operator.proxyclass.PodSettings;
import dev.portico.operator.proxyclass.ProxyClassSelection;
import dev.portico.operator.proxyclass.ServiceDefaults;
import dev.portico.operator.push.ConfigPusher;
import dev.portico.operator.push.ProxyPod;
import dev.portico.operator.push.Rollout;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.config.informer.FieldSelector;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.Workflow;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Dependent;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps each ProxySite's proxy converged. The workflow is invoked explicitly, and only for a
 * valid spec whose TLS Secrets, htpasswd Secrets ({@link BasicAuthSecrets}) and backend Services
 * ({@link BackendServices}) all resolve: an
 * invalid edit, a broken Secret or a missing Service leaves every dependent as it is, so the
 * last good config keeps serving, and says why in the status.
 */
@Workflow(explicitInvocation = true, dependents = {
        @Dependent(name = ProxySiteReconciler.BUNDLE, type = Dependents.BundleSecret.class),
        @Dependent(name = ProxySiteReconciler.ADMIN_TOKEN, type = Dependents.AdminTokenSecret.class,
                useEventSourceWithName = ProxySiteReconciler.BUNDLE),
        @Dependent(name = "service-account", type = Dependents.ProxyServiceAccount.class),
        @Dependent(name = "deployment", type = Dependents.ProxyDeployment.class,
                dependsOn = {ProxySiteReconciler.BUNDLE, ProxySiteReconciler.ADMIN_TOKEN, "service-account"}),
        @Dependent(name = ProxySiteReconciler.SERVICE, type = Dependents.ProxyService.class),
        @Dependent(name = "network-policy", type = Dependents.ProxyNetworkPolicy.class),
        @Dependent(name = "pdb", type = Dependents.ProxyDisruptionBudget.class,
                reconcilePrecondition = Dependents.MoreThanOneReplica.class)})
@ControllerConfiguration(name = ProxySiteReconciler.NAME)
public class ProxySiteReconciler implements Reconciler<ProxySiteResource> {

    public static final String NAME = "proxysite";
    static final String BUNDLE = "bundle";
    static final String ADMIN_TOKEN = "admin-token";
    static final String SERVICE = "service";
    static final String TLS_SECRETS = "tls-secrets";
    static final String PODS = "pods";
    static final String PUSH_RESULTS = "push-results";
    private static final String SECRET_INDEX = "portico.dev/tls-secret";
    private static final String TLS_TYPE = "kubernetes.io/tls";
    private static final Logger LOG = LoggerFactory.getLogger(ProxySiteReconciler.class);

    private static final SecureRandom TOKENS = new SecureRandom();

    private final String proxyImage;
    private final boolean proxyClasses;
    private final String operatorNamespace;
    private final Set<String> metricsNamespaces;
    private final AdminCaStore adminCa;
    private final Clock clock;
    /** Push answers come back on other threads; this wakes the site they belong to. */
    private final SimpleInboundEventSource<ProxySiteResource> pushResults = new SimpleInboundEventSource<>(PUSH_RESULTS);
    private final ConfigPusher pusher;
    /** Orders and renews the certificates of sites with tls.acme, off the reconcile threads. */
    private final AcmeCertificates acme;
    /** The last failure each site's Event reported, until a reconcile of it succeeds. */
    private final Map<ResourceID, String> failuresReported = new ConcurrentHashMap<>();

    /**
     * @param config what of the operator's settings concerns the sites: the pods' image (unless their
     *     ProxyClass names another), whether ProxyClasses are read (cluster-scoped: an operator
     *     without cluster-wide rights cannot), where the operator's pods run (only they may reach
     *     a proxy's admin port; null lets operator pods of any namespace through) and whose pods
     *     may reach the proxies' metrics port (empty: every namespace's)
     * @param adminCa issues the pods' admin certificates; the pusher trusts what it trusts
     * @param pushers makes the pusher, given how to wake a site when a pod answers
     * @param acmeClients makes the ACME client, given how to wake a site when an order needs it
     */
    public ProxySiteReconciler(OperatorConfig config, AdminCaStore adminCa,
            Function<Consumer<ResourceID>, ConfigPusher> pushers,
            Function<Consumer<ResourceID>, AcmeCertificates> acmeClients) {
        this(config, adminCa, pushers, acmeClients, Clock.systemUTC());
    }

    ProxySiteReconciler(OperatorConfig config, AdminCaStore adminCa,
            Function<Consumer<ResourceID>, ConfigPusher> pushers,
            Function<Consumer<ResourceID>, AcmeCertificates> acmeClients, Clock clock) {
        this.proxyImage = Objects.requireNonNull(config.proxyImage(), "proxyImage");
        this.proxyClasses = config.proxyClasses();
        this.operatorNamespace = config.namespace();
        this.metricsNamespaces = Set.copyOf(config.metricsNamespaces());
        this.adminCa = Objects.requireNonNull(adminCa, "adminCa");
        this.clock = clock;
        this.pusher = pushers.apply(pushResults::propagateEvent);
        this.acme = acmeClients.apply(pushResults::propagateEvent);
    }

    /**
     * Watches every Secret the sites refer to: an index on the primary cache maps a Secret
     * back to exactly the sites that use it (a renewal re-renders those, no others), and the
     * primary-to-secondary mapper lets a site find a Secret that existed before it. The backend
     * Services the routes name are watched the same way ({@link BackendServices}), and their
     * EndpointSlices, whose pod addresses go in the bundle ({@link BackendEndpointSlices}).
     */
    @Override
    public List<EventSource<?, ProxySiteResource>> prepareEventSources(EventSourceContext<ProxySiteResource> context) {
        context.getPrimaryCache().addIndexer(SECRET_INDEX, site -> DerivedResources.tlsSecretNames(site.getSpec()).stream()
                .map(name -> indexKey(name, site.getMetadata().getNamespace()))
                .toList());
        // Only certificates: Helm releases, service account tokens and every other Secret type
        // never reach the cache (a referenced Secret of another type is read once, by name,
        // to say so). Of a certificate, only its type and data are kept.
        var tlsOnly = InformerEventSourceConfiguration.from(Secret.class, ProxySiteResource.class)
                .withName(TLS_SECRETS)
                .withNamespacesInheritedFromController()
                .withFieldSelector(new FieldSelector(new FieldSelector.Field("type", TLS_TYPE)));
        var configuration = InformerStores.referenced(tlsOnly, context, Secret.class, "type", "data")
                .withSecondaryToPrimaryMapper(secret -> context.getPrimaryCache()
                        .byIndex(SECRET_INDEX, indexKey(secret.getMetadata().getName(), secret.getMetadata().getNamespace()))
                        .stream()
                        .map(ResourceID::fromResource)
                        .collect(Collectors.toSet()))
                .withPrimaryToSecondaryMapper((ProxySiteResource site) -> DerivedResources.tlsSecretNames(site.getSpec()).stream()
                        .map(name -> new ResourceID(name, site.getMetadata().getNamespace()))
                        .collect(Collectors.toSet()))
                .build();
        // The site's pods: their readiness and addresses, for pushes and for Programmed.
        var proxyPods = InformerEventSourceConfiguration.from(Pod.class, ProxySiteResource.class)
                .withName(PODS)
                .withNamespacesInheritedFromController()
                .withLabelSelector(DerivedResources.MANAGED_SELECTOR);
        var pods = InformerStores.pods(proxyPods, context)
                .withSecondaryToPrimaryMapper(pod -> {
                    String site = pod.getMetadata().getLabels() == null ? null
                            : pod.getMetadata().getLabels().get(DerivedResources.INSTANCE_LABEL);
                    return site == null ? Set.of() : Set.of(new ResourceID(site, pod.getMetadata().getNamespace()));
                })
                .build();
        List<EventSource<?, ProxySiteResource>> sources = new ArrayList<>(List.of(
                new InformerEventSource<>(configuration, context), new InformerEventSource<>(pods, context),
                pushResults, BackendServices.eventSource(context), BackendEndpointSlices.eventSource(context),
                BasicAuthSecrets.eventSource(context)));
        if (proxyClasses) {
            sources.add(ProxyClasses.eventSource(context));
        }
        return sources;
    }

    private static String indexKey(String name, String namespace) {
        return namespace + "/" + name;
    }

    @Override
    public UpdateControl<ProxySiteResource> reconcile(ProxySiteResource site, Context<ProxySiteResource> context) {
        String url = null;
        Rollout rollout = null;
        List<String> placeholders = new ArrayList<>();
        StatusFactory.Certificates certificates = null;
        Duration nextLook = ConfigPusher.VERIFY_EVERY;
        ProxyClassSelection proxyClass = ProxyClasses.select(site, context, proxyClasses);
        ProxySiteSpec withClass = site.getSpec() == null ? null : ServiceDefaults.apply(site.getSpec(),
                proxyClass.selected().map(c -> c.getSpec() == null ? null : c.getSpec().service()).orElse(null));
        StatusFactory.Verdict verdict = validate(site, withClass);
        List<ProxySiteStatus.Address> addresses =
                StatusFactory.addresses(context.getSecondaryResource(Service.class, SERVICE));
        if (verdict.isValid()) {
            ProxySiteSpec spec = ProxySiteDefaults.normalise(withClass);
            Map<String, ConfigBundle.TlsPair> tlsPairs = new LinkedHashMap<>();
            Map<String, String> htpasswd = new LinkedHashMap<>();
            Secret bundleSecret = owned(context, site, DerivedResources.bundleName(site));
            verdict = bothResolved(bothResolved(bothResolved(classResolved(proxyClass),
                            resolveTls(site, spec, context, tlsPairs, placeholders, bundleSecret, clock.instant())),
                            BasicAuthSecrets.resolve(site, spec, context, htpasswd)),
                    BackendServices.resolve(site, spec, context));
            url = DerivedResources.url(spec, addresses);
            AcmeCertificates.View acmeView = null;
            if (spec.tls() != null && spec.tls().acme() != null && verdict.isResolved()) {
                Tls.Acme acmeSpec = spec.tls().acme();
                ConfigBundle.TlsPair current = placeholders.contains(acmeSpec.secretName()) ? null
                        : tlsPairs.get(acmeSpec.secretName());
                acme.retainOnly(context.getPrimaryCache().list().map(ResourceID::fromResource).collect(Collectors.toSet()));
                acmeView = acme.observe(site, acmeSpec, current == null ? null : current.certificate());
                nextLook = soonest(nextLook, acmeView.nextLook());
            }
            certificates = StatusFactory.Certificates.of(spec.tls(), placeholders, acmeView);
            List<String> acmeAnswers = acmeView == null ? List.of() : acmeView.answers();
            if (verdict.isResolved()) {
                Secret adminSecret = owned(context, site, DerivedResources.adminSecretName(site));
                String token = Optional.ofNullable(DerivedResources.token(adminSecret))
                        .orElseGet(ProxySiteReconciler::newToken);
                AdminCaStore.Current ca = adminCa.current();
                if (ca.rotated()) {
                    // Every site gets a certificate of the new CA now, not at its next periodic look.
                    context.getPrimaryCache().list().forEach(s -> pushResults.propagateEvent(ResourceID.fromResource(s)));
                }
                ServingCertificate adminCertificate = adminCertificate(site, adminSecret, ca.ca());
                ConfigBundle bundle = ConfigBundle.render(site.getMetadata().getName(), site.getMetadata().getNamespace(),
                        spec, tlsPairs, new ConfigBundle.TlsPair(adminCertificate.chainPem(), adminCertificate.keyPem()),
                        htpasswd, acmeAnswers, BackendEndpointSlices.resolve(site, spec, context))
                        .at(DerivedResources.deployed(bundleSecret), clock.millis());
                PodSettings podSettings = PodSettings.of(proxyClass.selected().map(ProxyClassResource::getSpec).orElse(null),
                        proxyImage);
                new SiteModel(spec, bundle, podSettings, token, adminCertificate, operatorNamespace, metricsNamespaces)
                        .putInto(context);
                context.managedWorkflowAndDependentResourceContext().reconcileManagedWorkflow();
                String adminName = DerivedResources.adminNames(site).get(0);
                List<ProxyPod> readyPods = context.getSecondaryResources(Pod.class).stream()
                        .map(pod -> ProxyPod.ifReady(pod, adminName))
                        .flatMap(Optional::stream)
                        .toList();
                rollout = pusher.converge(ResourceID.fromResource(site), bundle.push(), token, readyPods);
                if (rollout.complete() && rollout.ready() > 0) {
                    acme.served(ResourceID.fromResource(site), acmeAnswers);
                }
                // All ready pods serve this bundle, so a certificate of the issuing CA: the previous CA may go.
                adminCa.siteServes(siteKey(site), rollout.serving() == rollout.ready()
                        ? ca.ca().issuing().certificate() : null, context.getPrimaryCache().list()
                        .map(ProxySiteReconciler::siteKey).toList());
                nextLook = soonest(nextLook,
                        ServingCertificate.renewAt(adminCertificate, adminCa.lifetimes()),
                        ca.ca().rotateAt(adminCa.lifetimes()));
            }
        }

        Optional<Deployment> deployment = context.getSecondaryResource(Deployment.class);
        ProxySiteStatus status = StatusFactory.status(site, verdict, url,
                proxyClass.selected().map(c -> c.getMetadata().getName()).orElse(null), addresses, rollout, deployment,
                certificates, Instant.now(clock));
        reportRefusals(site, status, context);
        // Pods are asked again now and then: a restarted process or a missed push shows up there.
        if (!Objects.equals(status, site.getStatus())) {
            StatusWriter.write(context.getClient(), site, status);
        }
        failuresReported.remove(ResourceID.fromResource(site));
        return UpdateControl.<ProxySiteResource>noUpdate().rescheduleAfter(nextLook);
    }

    /**
     * The admin certificate the site's pods serve: the one its admin Secret holds, or a new one
     * when that one is due or wrong ({@link ServingCertificate#reissueReason}); the new one reaches
     * running pods in the bundle, pushed like any other change.
     */
    private ServingCertificate adminCertificate(ProxySiteResource site, Secret adminSecret, AdminCa ca) {
        List<String> names = DerivedResources.adminNames(site);
        ServingCertificate current = DerivedResources.adminCertificate(adminSecret).orElse(null);
        Instant now = clock.instant();
        String reason = ServingCertificate.reissueReason(current, ca, names, now, adminCa.lifetimes());
        if (reason == null) {
            return current;
        }
        ServingCertificate issued = ServingCertificate.of(ca.issuing().issue(names, now, adminCa.lifetimes().serving()));
        LOG.info("ProxySite {}/{}: new admin certificate for its pods ({}), valid until {}",
                site.getMetadata().getNamespace(), site.getMetadata().getName(), reason,
                issued.leaf().getNotAfter().toInstant());
        return issued;
    }

    /** The next look at a site: the periodic one, or sooner when its certificate or the CA is due. */
    private Duration soonest(Duration periodic, Instant... due) {
        Instant now = clock.instant();
        Duration soonest = periodic;
        for (Instant at : due) {
            Duration until = Duration.between(now, at);
            if (until.compareTo(soonest) < 0) {
                soonest = until;
            }
        }
        return soonest.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : soonest;
    }

    private static String siteKey(ProxySiteResource site) {
        return site.getMetadata().getNamespace() + "/" + site.getMetadata().getName();
    }

    /**
     * A reconcile that threw (the API server refused a write, typically because the
     * operator's RBAC lacks a rule) says so in the status, Programmed=False with the API
     * server's own words, and in a Warning Event; JOSDK then retries with backoff. What is
     * serving stays as it is.
     */
    @Override
    public ErrorStatusUpdateControl<ProxySiteResource> updateErrorStatus(ProxySiteResource site,
            Context<ProxySiteResource> context, Exception failure) {
        ReconcileFailure why = ReconcileFailure.of(failure);
        if (!why.reportable()) {
            LOG.debug("ProxySite {}/{}: {}", site.getMetadata().getNamespace(), site.getMetadata().getName(), why.message());
            return ErrorStatusUpdateControl.noStatusUpdate();
        }
        LOG.warn("ProxySite {}/{} could not be reconciled: {}: {}", site.getMetadata().getNamespace(),
                site.getMetadata().getName(), why.reason(), why.message());
        ProxySiteStatus status = StatusFactory.failed(site, why.reason(), why.message(), Instant.now(clock));
        if (!Objects.equals(status, site.getStatus())) {
            // The Event first: when the refused call is the status write itself, it is the
            // only place the failure shows outside the operator's log (once per failure, as the
            // status that would say it was already said cannot change).
            if (!(why.reason() + ": " + why.message()).equals(failuresReported.put(ResourceID.fromResource(site),
                    why.reason() + ": " + why.message()))) {
                warn(site, context, why.reason(), why.message());
            }
            try {
                StatusWriter.write(context.getClient(), site, status);
            } catch (KubernetesClientException e) {
                LOG.warn("Could not report the failure on ProxySite {}/{}: {}", site.getMetadata().getNamespace(),
                        site.getMetadata().getName(), e.getMessage());
            }
        }
        return ErrorStatusUpdateControl.noStatusUpdate();
    }

    /** A Secret the site owns, as the owned Secrets' informer (the bundle's) has it; null if it does not exist (yet). */
    private static Secret owned(Context<ProxySiteResource> context, ProxySiteResource site, String name) {
        @SuppressWarnings("unchecked")
        var source = (InformerEventSource<Secret, ProxySiteResource>)
                context.eventSourceRetriever().getEventSourceFor(Secret.class, BUNDLE);
        return source.get(new ResourceID(name, site.getMetadata().getNamespace())).orElse(null);
    }

    private static String newToken() {
        byte[] bytes = new byte[32];
        TOKENS.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** The site's class, found and valid; else why not, as the site's first unresolved reference. */
    private static StatusFactory.Verdict classResolved(ProxyClassSelection selection) {
        if (selection instanceof ProxyClassSelection.Unresolved unresolved) {
            return StatusFactory.Verdict.unresolved(unresolved.reason(), List.of(unresolved.problem()));
        }
        List<Violation> problems = selection.selected().map(ProxyClasses::problems).orElse(List.of());
        return problems.isEmpty() ? StatusFactory.Verdict.valid()
                : StatusFactory.Verdict.unresolved("InvalidProxyClass", problems);
    }

    /** {@code spec} is the site's with its class's service defaults merged in: the Service is made from that. */
    private static StatusFactory.Verdict validate(ProxySiteResource site, ProxySiteSpec spec) {
        if (spec == null) {
            return StatusFactory.Verdict.invalid(List.of(new Violation("spec", "is required")));
        }
        ProxySite document = new ProxySite(ProxySite.API_VERSION, ProxySite.KIND,
                new ProxySite.Metadata(site.getMetadata().getName(), site.getMetadata().getNamespace(),
                        site.getMetadata().getGeneration()),
                spec);
        List<Violation> violations = ProxySiteValidator.validate(document);
        return violations.isEmpty() ? StatusFactory.Verdict.valid() : StatusFactory.Verdict.invalid(violations);
    }

    /** Every unresolved reference of both; the reason is the first one's (TLS before backends). */
    private static StatusFactory.Verdict bothResolved(StatusFactory.Verdict first, StatusFactory.Verdict second) {
        if (first.isResolved()) {
            return second;
        }
        if (second.isResolved()) {
            return first;
        }
        List<Violation> all = new ArrayList<>(first.unresolved());
        all.addAll(second.unresolved());
        return StatusFactory.Verdict.unresolved(first.unresolvedReason(), all);
    }

    /**
     * Reads each referenced Secret's PEMs into {@code tlsPairs}, or says what is wrong with them. A Secret
     * that does not exist yet (an ACME order pending, cert-manager not done) does not hold the site back:
     * it is served as a self-signed placeholder for its hosts, named in {@code placeholders}; the one the
     * bundle already has is kept while it fits, so the bundle does not change on every reconcile.
     */
    private static StatusFactory.Verdict resolveTls(ProxySiteResource site, ProxySiteSpec spec,
            Context<ProxySiteResource> context, Map<String, ConfigBundle.TlsPair> tlsPairs, List<String> placeholders,
            Secret bundleSecret, Instant now) {
        if (spec.tls() == null) {
            return StatusFactory.Verdict.valid();
        }
        @SuppressWarnings("unchecked")
        var secrets = (InformerEventSource<Secret, ProxySiteResource>)
                context.eventSourceRetriever().getEventSourceFor(Secret.class, TLS_SECRETS);
        String namespace = site.getMetadata().getNamespace();
        List<Violation> problems = new ArrayList<>();
        List<Tls.Certificate> certificates = spec.tls().certificates();
        for (int i = 0; i < certificates.size(); i++) {
            String name = certificates.get(i).secretName();
            String path = "spec.tls.certificates[" + i + "].secretName";
            if (tlsPairs.containsKey(name)) {
                continue;
            }
            Optional<Secret> secret = secrets.get(new ResourceID(name, namespace));
            if (secret.isEmpty()) {
                Optional<Secret> notCertificate = notACertificate(context, namespace, name);
                if (notCertificate.isPresent()) {
                    problems.add(new Violation(path, "Secret \"" + name + "\" " + tlsProblem(notCertificate.get())));
                    continue;
                }
                tlsPairs.put(name, placeholder(bundleSecret, name, certificates.get(i).hosts(), now));
                placeholders.add(name);
                continue;
            }
            String problem = tlsProblem(secret.get());
            if (problem != null) {
                problems.add(new Violation(path, "Secret \"" + name + "\" " + problem));
                continue;
            }
            Map<String, String> data = secret.get().getData();
            tlsPairs.put(name, new ConfigBundle.TlsPair(decode(data.get("tls.crt")), decode(data.get("tls.key"))));
        }
        if (problems.isEmpty()) {
            return StatusFactory.Verdict.valid();
        }
        return StatusFactory.Verdict.unresolved("InvalidSecret", problems);
    }

    /** The placeholder the deployed bundle serves for {@code secretName} if it still fits, else a new one. */
    private static ConfigBundle.TlsPair placeholder(Secret bundleSecret, String secretName, List<String> hosts,
            Instant now) {
        Map<String, String> data = bundleSecret == null || bundleSecret.getData() == null ? Map.of()
                : bundleSecret.getData();
        String chain = Optional.ofNullable(data.get(ConfigBundle.certificateKey(secretName)))
                .map(ProxySiteReconciler::decode).orElse(null);
        String key = Optional.ofNullable(data.get(ConfigBundle.privateKeyKey(secretName)))
                .map(ProxySiteReconciler::decode).orElse(null);
        if (key != null && Placeholder.reusable(chain, hosts, now)) {
            return new ConfigBundle.TlsPair(chain, key);
        }
        Authority.Issued issued = Placeholder.issue(hosts, now);
        return new ConfigBundle.TlsPair(issued.chainPem(), issued.keyPem());
    }

    /**
     * A referenced Secret the certificate informer does not hold because it is of another type:
     * read by name, so the status says "is of type Opaque" rather than "not found". Types are
     * immutable, so the informer sees the Secret that replaces it.
     */
    private static Optional<Secret> notACertificate(Context<ProxySiteResource> context, String namespace, String name) {
        Secret secret = context.getClient().secrets().inNamespace(namespace).withName(name).get();
        return Optional.ofNullable(secret).filter(s -> !TLS_TYPE.equals(s.getType()));
    }

    /** Why {@code secret} cannot serve as a certificate, or null if it can. */
    static String tlsProblem(Secret secret) {
        if (!TLS_TYPE.equals(secret.getType())) {
            return "is of type " + secret.getType() + "; it must be " + TLS_TYPE;
        }
        Map<String, String> data = Optional.ofNullable(secret.getData()).orElse(Map.of());
        for (String key : List.of("tls.crt", "tls.key")) {
            String value = data.get(key);
            if (value == null || value.isEmpty()) {
                return "has no " + key;
            }
            String pem;
            try {
                pem = decode(value);
            } catch (IllegalArgumentException e) {
                return "has a " + key + " that is not base64";
            }
            if (!pem.contains("-----BEGIN ")) {
                return "has a " + key + " that is not PEM";
            }
        }
        return null;
    }

    private static String decode(String base64) {
        return new String(Base64.getMimeDecoder().decode(base64), StandardCharsets.UTF_8);
    }

    /** A Warning Event when Accepted or ResolvedRefs turns False, or its reason changes; not on every reconcile. */
    private static void reportRefusals(ProxySiteResource site, ProxySiteStatus status, Context<ProxySiteResource> context) {
        for (String type : List.of(StatusFactory.ACCEPTED, StatusFactory.RESOLVED_REFS)) {
            var now = StatusFactory.previousCondition(status, type).filter(c -> "False".equals(c.status()));
            if (now.isEmpty()) {
                continue;
            }
            var before = StatusFactory.previousCondition(site.getStatus(), type);
            boolean same = before.isPresent() && before.get().status().equals(now.get().status())
                    && Objects.equals(before.get().reason(), now.get().reason())
                    && Objects.equals(before.get().message(), now.get().message());
            if (!same) {
                LOG.warn("ProxySite {}/{} {}: {}", site.getMetadata().getNamespace(), site.getMetadata().getName(),
                        now.get().reason(), now.get().message());
                warn(site, context, now.get().reason(), now.get().message());
            }
        }
    }

    private static void warn(ProxySiteResource site, Context<ProxySiteResource> context, String reason, String message) {
        SiteEvents.record(context.getClient(), site, "Warning", reason, message);
    }
}
