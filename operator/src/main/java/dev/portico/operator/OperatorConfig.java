package dev.portico.operator;

import dev.portico.crds.units.Durations;
import dev.portico.operator.pki.Lifetimes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The operator's settings, read from the environment (see API.md, "The operator").
 *
 * @param watchNamespaces empty: all namespaces
 * @param serverSideApply false for API servers without server-side apply (fabric8's mock server)
 * @param namespace where the leader-election Lease and the admin CA's Secret live
 * @param adminLifetimes how long the admin CA and the pods' admin certificates live
 *     ({@code PORTICO_ADMIN_CA_VALIDITY}, {@code PORTICO_ADMIN_CERT_VALIDITY})
 * @param proxyClasses whether ProxyClasses are read ({@code PORTICO_PROXY_CLASSES}, default
 *     true): they are cluster-scoped, and a namespaced install has no cluster-wide rights
 * @param metricsNamespaces the namespaces whose pods the proxies' NetworkPolicy lets reach their metrics port
 *     ({@code PORTICO_METRICS_NAMESPACES}, comma-separated); empty: pods of every namespace, as the metrics
 *     are read-only (docs/observability.md)
 * @param acmeCaFile PEM certificates the operator trusts, besides the JDK's roots, when it talks to ACME
 *     directories ({@code PORTICO_ACME_CA_FILE}): a private ACME CA; null: the JDK's roots only
 */
public record OperatorConfig(String proxyImage, Set<String> watchNamespaces, boolean serverSideApply,
        boolean leaderElection, String namespace, int healthPort, Lifetimes adminLifetimes, boolean proxyClasses,
        Set<String> metricsNamespaces, Path acmeCaFile) {

    /** Trusting the JDK's roots only for ACME directories. */
    public OperatorConfig(String proxyImage, Set<String> watchNamespaces, boolean serverSideApply,
            boolean leaderElection, String namespace, int healthPort, Lifetimes adminLifetimes, boolean proxyClasses,
            Set<String> metricsNamespaces) {
        this(proxyImage, watchNamespaces, serverSideApply, leaderElection, namespace, healthPort, adminLifetimes,
                proxyClasses, metricsNamespaces, null);
    }

    /** This config, trusting {@code caFile}'s certificates for ACME directories too. */
    public OperatorConfig withAcmeCaFile(Path caFile) {
        return new OperatorConfig(proxyImage, watchNamespaces, serverSideApply, leaderElection, namespace, healthPort,
                adminLifetimes, proxyClasses, metricsNamespaces, caFile);
    }

    /** Reading ProxyClasses, with the metrics port open to every namespace. */
    public OperatorConfig(String proxyImage, Set<String> watchNamespaces, boolean serverSideApply,
            boolean leaderElection, String namespace, int healthPort, Lifetimes adminLifetimes) {
        this(proxyImage, watchNamespaces, serverSideApply, leaderElection, namespace, healthPort, adminLifetimes,
                true, Set.of());
    }

    /** With the default admin lifetimes, reading ProxyClasses. */
    public OperatorConfig(String proxyImage, Set<String> watchNamespaces, boolean serverSideApply,
            boolean leaderElection, String namespace, int healthPort) {
        this(proxyImage, watchNamespaces, serverSideApply, leaderElection, namespace, healthPort, Lifetimes.DEFAULT);
    }

    static final String DEFAULT_IMAGE_REPOSITORY = "ghcr.io/portico-dev/proxy-runtime";
    /** The proxy image of this release: the project version tags both images (deploy/docker/build-images.sh). */
    public static final String DEFAULT_PROXY_IMAGE = DEFAULT_IMAGE_REPOSITORY + ":" + Release.VERSION;

    public static OperatorConfig fromEnvironment(Map<String, String> env) {
        return new OperatorConfig(
                nonBlank(env.get("PORTICO_PROXY_IMAGE")) ? env.get("PORTICO_PROXY_IMAGE").trim() : DEFAULT_PROXY_IMAGE,
                namespaces(env.get("PORTICO_WATCH_NAMESPACES")),
                bool(env, "PORTICO_SERVER_SIDE_APPLY", true),
                bool(env, "PORTICO_LEADER_ELECTION", true),
                nonBlank(env.get("PORTICO_NAMESPACE")) ? env.get("PORTICO_NAMESPACE").trim() : null,
                port(env.get("PORTICO_HEALTH_PORT")),
                new Lifetimes(
                        duration(env, "PORTICO_ADMIN_CA_VALIDITY", Lifetimes.DEFAULT.ca()),
                        duration(env, "PORTICO_ADMIN_CERT_VALIDITY", Lifetimes.DEFAULT.serving())),
                bool(env, "PORTICO_PROXY_CLASSES", true),
                namespaces(env.get("PORTICO_METRICS_NAMESPACES")),
                nonBlank(env.get("PORTICO_ACME_CA_FILE")) ? Path.of(env.get("PORTICO_ACME_CA_FILE").trim()) : null);
    }

    /** Go's duration syntax, as the ProxySite API writes durations (e.g. 8760h). */
    private static Duration duration(Map<String, String> env, String name, Duration fallback) {
        String value = env.get(name);
        if (!nonBlank(value)) {
            return fallback;
        }
        Duration duration;
        try {
            duration = Durations.parse(value.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + ": " + e.getMessage());
        }
        if (duration.compareTo(Duration.ofSeconds(10)) < 0) {
            throw new IllegalArgumentException(name + " must be at least 10s, not " + value);
        }
        return duration;
    }

    private static Set<String> namespaces(String value) {
        if (!nonBlank(value)) {
            return Set.of();
        }
        return Arrays.stream(value.split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .collect(Collectors.toUnmodifiableSet());
    }

    private static boolean bool(Map<String, String> env, String name, boolean fallback) {
        String value = env.get(name);
        if (!nonBlank(value)) {
            return fallback;
        }
        return switch (value.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "true", "1", "yes" -> true;
            case "false", "0", "no" -> false;
            default -> throw new IllegalArgumentException(name + " must be true or false, not " + value);
        };
    }

    private static int port(String value) {
        if (!nonBlank(value)) {
            return 8081;
        }
        int port = Integer.parseInt(value.trim());
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("PORTICO_HEALTH_PORT must be 0..65535, not " + value);
        }
        return port;
    }

    private static boolean nonBlank(String value) {
        return value != null && !value.isBlank();
    }
}
