package dev.portico.operator.reconciler;

import dev.portico.crds.v1alpha1.ProxySiteStatus;
import dev.portico.crds.v1alpha1.ProxySiteStatus.Address;
import dev.portico.crds.v1alpha1.ProxySiteStatus.Condition;
import dev.portico.crds.v1alpha1.Tls;
import dev.portico.crds.validation.Violation;
import dev.portico.operator.acme.AcmeCertificates;
import dev.portico.operator.api.ProxySiteResource;
import dev.portico.operator.push.Rollout;
import io.fabric8.kubernetes.api.model.LoadBalancerStatus;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceStatus;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatus;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Builds a ProxySite's status from what one reconcile found. Pure: the same inputs give an
 * equal status (transition times are kept while a condition's status holds), so the
 * reconciler can compare it with the current one and patch only a change.
 */
final class StatusFactory {

    static final String ACCEPTED = "Accepted";
    static final String RESOLVED_REFS = "ResolvedRefs";
    static final String PROGRAMMED = "Programmed";
    static final String READY = "Ready";
    static final String CERTIFICATE_READY = "CertificateReady";

    private StatusFactory() {}

    /** What the reconcile concluded about the spec and its references. */
    record Verdict(List<Violation> invalid, List<Violation> unresolved, String unresolvedReason) {

        static Verdict valid() {
            return new Verdict(List.of(), List.of(), null);
        }

        static Verdict invalid(List<Violation> violations) {
            return new Verdict(violations, List.of(), null);
        }

        static Verdict unresolved(String reason, List<Violation> problems) {
            return new Verdict(List.of(), problems, reason);
        }

        boolean isValid() {
            return invalid.isEmpty();
        }

        boolean isResolved() {
            return unresolved.isEmpty();
        }
    }

    /**
     * Whether every certificate the site serves is the real one, for {@code CertificateReady}.
     * Not part of Ready: a site on a placeholder serves its spec, and its HTTP side (the ACME
     * challenges above all) must be up for the real certificate to come.
     */
    record Certificates(boolean ready, String reason, String message) {

        /**
         * null without TLS: no condition. ACME's state speaks for the site when it is not ready: what is
         * being done, or what the CA answered.
         */
        static Certificates of(Tls tls, List<String> placeholders, AcmeCertificates.View acme) {
            if (tls == null) {
                return null;
            }
            if (acme != null && !acme.ready()) {
                return new Certificates(false, acme.reason(), acme.message());
            }
            if (placeholders.isEmpty()) {
                return new Certificates(true, "Ready", acme == null ? "" : acme.message());
            }
            return new Certificates(false, "Pending", "Secret " + String.join(", ", placeholders.stream()
                    .map(n -> "\"" + n + "\"").toList()) + " not found yet: the pods serve a self-signed placeholder "
                    + "for its hosts until it exists");
        }
    }

    /** A site without a say on its certificates: the previous CertificateReady is kept. */
    static ProxySiteStatus status(ProxySiteResource site, Verdict verdict, String url, String proxyClassName,
            List<Address> addresses, Rollout rollout, Optional<Deployment> deployment, Instant now) {
        return status(site, verdict, url, proxyClassName, addresses, rollout, deployment, null, now);
    }

    /**
     * @param url the site's URL when the spec is valid, else null (the previous one is kept)
     * @param rollout how far the bundle just rendered has reached the ready pods, or null when
     *     nothing was rendered
     * @param proxyClassName the class the site's pods run with, null when none applies
     * @param addresses the site's load balancer addresses ({@link #addresses})
     * @param deployment the proxy Deployment as the cache has it, if any
     * @param certificates what the site's certificates are; null keeps the previous CertificateReady (or none
     *     without TLS)
     */
    static ProxySiteStatus status(ProxySiteResource site, Verdict verdict, String url, String proxyClassName,
            List<Address> addresses, Rollout rollout, Optional<Deployment> deployment, Certificates certificates,
            Instant now) {
        ProxySiteStatus previous = site.getStatus();
        long generation = Optional.ofNullable(site.getMetadata().getGeneration()).orElse(0L);
        List<Condition> conditions = new ArrayList<>();

        if (verdict.isValid()) {
            conditions.add(condition(ACCEPTED, true, "Valid", ""));
            if (verdict.isResolved()) {
                conditions.add(condition(RESOLVED_REFS, true, "ResolvedRefs", ""));
            } else {
                conditions.add(condition(RESOLVED_REFS, false, verdict.unresolvedReason(), join(verdict.unresolved())));
            }
        } else {
            conditions.add(condition(ACCEPTED, false, "Invalid", join(verdict.invalid())));
            // Nothing was resolved against an invalid spec: keep what was last known.
            previousCondition(previous, RESOLVED_REFS).ifPresent(conditions::add);
        }

        String previousHash = previous == null ? null : previous.configHash();
        // The hash every ready pod said it serves; while a rollout is under way, the last such one.
        String servedHash = rollout != null && rollout.complete() ? rollout.hash() : previousHash;
        conditions.add(programmed(verdict, rollout, deployment, servedHash));
        conditions.add(ready(conditions, deployment));
        if (certificates != null) {
            conditions.add(condition(CERTIFICATE_READY, certificates.ready(), certificates.reason(), certificates.message()));
        } else if (!verdict.isValid() || site.getSpec() != null && site.getSpec().tls() != null) {
            previousCondition(previous, CERTIFICATE_READY).ifPresent(conditions::add);
        }

        DeploymentStatus deploymentStatus = deployment.map(Deployment::getStatus).orElse(null);
        return new ProxySiteStatus(
                generation,
                deploymentStatus == null ? 0 : orZero(deploymentStatus.getReplicas()),
                deploymentStatus == null ? 0 : orZero(deploymentStatus.getReadyReplicas()),
                servedHash,
                url != null || verdict.isValid() ? url : previous == null ? null : previous.url(),
                proxyClassName,
                addresses.isEmpty() ? null : addresses,
                conditions.stream().map(c -> finish(c, previous, generation, now)).toList(),
                DerivedResources.selectorString(site));
    }

    /**
     * The status after a reconcile that failed: Programmed=False with {@code reason} and what
     * went wrong; every other condition, and what the pods serve, as the last status had them.
     */
    static ProxySiteStatus failed(ProxySiteResource site, String reason, String message, Instant now) {
        ProxySiteStatus previous = site.getStatus();
        long generation = Optional.ofNullable(site.getMetadata().getGeneration()).orElse(0L);
        String servedHash = previous == null ? null : previous.configHash();
        List<Condition> conditions = new ArrayList<>();
        for (String type : List.of(ACCEPTED, RESOLVED_REFS)) {
            previousCondition(previous, type).ifPresent(conditions::add);
        }
        Condition programmed = condition(PROGRAMMED, false, reason, message + "; the pods keep serving " + describe(servedHash));
        conditions.add(finish(programmed, previous, generation, now));
        // Whether the pods serve this spec is unknown: not Ready, whatever the Deployment says.
        conditions.add(finish(condition(READY, false, reason, programmed.message()), previous, generation, now));
        previousCondition(previous, CERTIFICATE_READY).ifPresent(conditions::add);
        return new ProxySiteStatus(
                previous == null ? generation : previous.observedGeneration(),
                previous == null ? 0 : previous.replicas(),
                previous == null ? 0 : previous.readyReplicas(),
                servedHash,
                previous == null ? null : previous.url(),
                previous == null ? null : previous.proxyClassName(),
                previous == null ? null : previous.addresses(),
                conditions,
                DerivedResources.selectorString(site));
    }

    private static Condition programmed(Verdict verdict, Rollout rollout, Optional<Deployment> deployment,
            String servedHash) {
        if (!verdict.isValid()) {
            return condition(PROGRAMMED, false, "Invalid",
                    "the spec is not accepted; the pods keep serving " + describe(servedHash));
        }
        if (!verdict.isResolved() || rollout == null) {
            return condition(PROGRAMMED, false, "RefsNotResolved",
                    "a reference is not resolved; the pods keep serving " + describe(servedHash));
        }
        if (deployment.isEmpty()) {
            return condition(PROGRAMMED, false, "Pending", "the proxy Deployment does not exist yet");
        }
        String message = rollout.serving() + "/" + rollout.ready() + " pods serve " + rollout.hash();
        if (rollout.ready() == 0) {
            return condition(PROGRAMMED, false, "NoReadyPods", message + "; no proxy pod is ready yet");
        }
        if (rollout.complete()) {
            return condition(PROGRAMMED, true, "ConfigApplied", message);
        }
        return condition(PROGRAMMED, false, "Pushing",
                rollout.problem() == null ? message : message + "; " + rollout.problem());
    }

    /**
     * Ready means "serving this spec": the current generation is accepted, its references
     * resolve, every ready pod serves its config (Programmed), and the Deployment is
     * available. So {@code kubectl wait --for=condition=Ready} and GitOps health checks
     * (kstatus) wait for the spec just applied, not for pods still serving an older one.
     * The first of those not met gives the reason.
     */
    private static Condition ready(List<Condition> conditions, Optional<Deployment> deployment) {
        for (Condition c : conditions) {
            if (!"True".equals(c.status())) {
                return condition(READY, false, c.reason(), notMet(c));
            }
        }
        Optional<DeploymentCondition> available = deployment
                .map(Deployment::getStatus)
                .flatMap(s -> Optional.ofNullable(s.getConditions()).orElse(List.of()).stream()
                        .filter(c -> "Available".equals(c.getType()))
                        .findFirst());
        if (available.isEmpty()) {
            return condition(READY, false, "Unavailable", "the proxy Deployment reports no availability yet");
        }
        boolean isAvailable = "True".equals(available.get().getStatus());
        return condition(READY, isAvailable, isAvailable ? "Available" : "Unavailable",
                isAvailable ? "" : Objects.toString(available.get().getMessage(), ""));
    }

    private static String notMet(Condition c) {
        String what = switch (c.type()) {
            case ACCEPTED -> "the spec is not accepted";
            case RESOLVED_REFS -> "a reference is not resolved";
            default -> "the spec is not programmed";
        };
        return c.message() == null || c.message().isEmpty() ? what : what + ": " + c.message();
    }

    /** What the cloud reports on the site's Service: its load balancer's IPs and host names, in its order. */
    static List<Address> addresses(Optional<Service> service) {
        return service.map(Service::getStatus)
                .map(ServiceStatus::getLoadBalancer)
                .map(LoadBalancerStatus::getIngress)
                .orElse(List.of())
                .stream()
                .flatMap(ingress -> ingress.getIp() != null ? Stream.of(new Address("IPAddress", ingress.getIp()))
                        : ingress.getHostname() != null ? Stream.of(new Address("Hostname", ingress.getHostname()))
                        : Stream.empty())
                .distinct()
                .toList();
    }

    static String join(List<Violation> violations) {
        return violations.stream().map(Violation::toString).collect(Collectors.joining("; "));
    }

    private static String describe(String hash) {
        return hash == null ? "nothing yet" : hash;
    }

    private static int orZero(Integer value) {
        return value == null ? 0 : value;
    }

    private static Condition condition(String type, boolean status, String reason, String message) {
        return new Condition(type, status ? "True" : "False", reason, message, null, null);
    }

    static Optional<Condition> previousCondition(ProxySiteStatus previous, String type) {
        if (previous == null || previous.conditions() == null) {
            return Optional.empty();
        }
        return previous.conditions().stream().filter(c -> type.equals(c.type())).findFirst();
    }

    /** Sets observedGeneration, and a transition time that stays put while the status holds. */
    private static Condition finish(Condition c, ProxySiteStatus previous, long generation, Instant now) {
        if (c.lastTransitionTime() != null) {
            return c; // carried over unchanged
        }
        String since = previousCondition(previous, c.type())
                .filter(old -> c.status().equals(old.status()) && old.lastTransitionTime() != null)
                .map(Condition::lastTransitionTime)
                .orElse(now.truncatedTo(ChronoUnit.SECONDS).toString());
        return new Condition(c.type(), c.status(), c.reason(), c.message(), generation, since);
    }
}
