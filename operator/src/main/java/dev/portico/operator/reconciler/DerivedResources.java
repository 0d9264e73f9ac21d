package dev.portico.operator.reconciler;

import dev.portico.crds.bundle.BundleFiles;
import dev.portico.crds.v1alpha1.ProxySite;
import dev.portico.crds.v1alpha1.Exposure;
import dev.portico.crds.v1alpha1.ProxySiteSpec;
import dev.portico.crds.v1alpha1.ProxySiteStatus;
import dev.portico.crds.v1alpha1.Tls;
import dev.portico.operator.api.ProxySiteResource;
import dev.portico.operator.pki.ServingCertificate;
import dev.portico.operator.proxyclass.PodSettings;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraint;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraintBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeerBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPortBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The pure mapping from a ProxySite to the Kubernetes objects the operator owns for it. No
 * client, no cache: DerivedResourcesTest holds these to the API without a server.
 */
final class DerivedResources {

    static final String APP_NAME = "portico-proxy";
    static final String MANAGED_BY = "portico";
    static final String NAME_LABEL = "app.kubernetes.io/name";
    static final String INSTANCE_LABEL = "app.kubernetes.io/instance";
    static final String MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
    /** On the bundle Secret: the hash of its content. */
    static final String CONFIG_HASH_ANNOTATION = "portico.dev/config-hash";
    /** On the bundle Secret: its revision (docs/config-push.md). */
    static final String CONFIG_REVISION_ANNOTATION = "portico.dev/config-revision";
    /** The key of the admin token in the Secret S-proxy-admin. */
    static final String TOKEN_KEY = "token";
    /** The keys of the pods' admin certificate (chain, then key) in the Secret S-proxy-admin. */
    static final String ADMIN_CERTIFICATE_KEY = "tls.crt";
    static final String ADMIN_PRIVATE_KEY_KEY = "tls.key";
    /**
     * The bundle's secret that holds the pods' admin certificate ({@code --admin-tls-secret}). A
     * Kubernetes Secret name cannot start with '_', so it never collides with a site's TLS Secret.
     */
    static final String ADMIN_TLS_SECRET = "_admin";
    /** Label selector of the objects this operator manages, for the dependents' informers. */
    static final String MANAGED_SELECTOR = MANAGED_BY_LABEL + "=" + MANAGED_BY;

    static final int HTTP_PORT = 8080;
    static final int HTTPS_PORT = 8443;
    static final int ADMIN_PORT = 9901;
    /** GET /metrics alone, plain HTTP (--metrics-port): what Prometheus scrapes, apart from the admin port. */
    static final int METRICS_PORT = 9902;
    static final String CONFIG_DIR = "/etc/portico";
    static final String ADMIN_TOKEN_DIR = "/var/run/portico/admin";
    /** The operator's pods, the only ones NetworkPolicy lets reach a proxy's admin port. */
    static final String OPERATOR_APP_NAME = "portico-operator";
    /** Long enough for the runtime's drain (25s) after the preStop pause (5s) ... */
    static final long TERMINATION_GRACE_SECONDS = 35;
    static final String DRAIN_TIMEOUT = "25s";
    /** ... which lets the endpoints controller and kube-proxies stop sending new connections first. */
    static final long PRE_STOP_SLEEP_SECONDS = 5;
    /** The uid and gid of the distroless "nonroot" user the proxy image runs as. */
    static final long NON_ROOT_ID = 65532;
    /** Read by the java launcher after the image's JAVA_TOOL_OPTIONS: a class's jvmOptions win. */
    static final String JVM_OPTIONS_VARIABLE = "JDK_JAVA_OPTIONS";

    private DerivedResources() {}

    static String proxyName(ProxySiteResource site) {
        return site.getMetadata().getName() + "-proxy";
    }

    static String bundleName(ProxySiteResource site) {
        return site.getMetadata().getName() + "-proxy-config";
    }

    static String adminSecretName(ProxySiteResource site) {
        return site.getMetadata().getName() + "-proxy-admin";
    }

    /**
     * The DNS names a site's pods' admin certificate carries: its Service's, which the operator
     * checks on every push (the first), with and without the default cluster domain.
     */
    static List<String> adminNames(ProxySiteResource site) {
        String service = proxyName(site) + "." + site.getMetadata().getNamespace() + ".svc";
        return List.of(service, service + ".cluster.local");
    }

    /** The labels that select the site's pods; {@link #labels} adds managed-by. */
    static Map<String, String> selectorLabels(ProxySiteResource site) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(NAME_LABEL, APP_NAME);
        labels.put(INSTANCE_LABEL, site.getMetadata().getName());
        return labels;
    }

    static Map<String, String> labels(ProxySiteResource site) {
        Map<String, String> labels = selectorLabels(site);
        labels.put(MANAGED_BY_LABEL, MANAGED_BY);
        return labels;
    }

    /** For the scale subresource: the pods' selector as kubectl get -l writes it. */
    static String selectorString(ProxySiteResource site) {
        return NAME_LABEL + "=" + APP_NAME + "," + INSTANCE_LABEL + "=" + site.getMetadata().getName();
    }

    /** fabric8's addOwnerReference leaves controller unset; the API promises controller: true. */
    static OwnerReference ownerReference(ProxySiteResource site) {
        return new OwnerReferenceBuilder()
                .withApiVersion(ProxySite.API_VERSION)
                .withKind(ProxySite.KIND)
                .withName(site.getMetadata().getName())
                .withUid(site.getMetadata().getUid())
                .withController(true)
                .withBlockOwnerDeletion(true)
                .build();
    }

    private static ObjectMeta metadata(ProxySiteResource site, String name) {
        return new ObjectMetaBuilder()
                .withName(name)
                .withNamespace(site.getMetadata().getNamespace())
                .withLabels(labels(site))
                .withOwnerReferences(ownerReference(site))
                .build();
    }

    static Secret bundleSecret(ProxySiteResource site, ConfigBundle bundle) {
        Map<String, String> data = new LinkedHashMap<>();
        Base64.Encoder base64 = Base64.getEncoder();
        bundle.files().forEach((key, content) -> data.put(key, base64.encodeToString(content.getBytes(StandardCharsets.UTF_8))));
        data.put(BundleFiles.REVISION_FILE, base64.encodeToString(Long.toString(bundle.revision()).getBytes(StandardCharsets.US_ASCII)));
        ObjectMeta metadata = metadata(site, bundleName(site));
        metadata.setAnnotations(new TreeMap<>(Map.of(
                CONFIG_HASH_ANNOTATION, bundle.hash(),
                CONFIG_REVISION_ANNOTATION, Long.toString(bundle.revision()))));
        return new SecretBuilder()
                .withMetadata(metadata)
                .withType("Opaque")
                .withData(data)
                .build();
    }

    /** The hash and revision a bundle Secret carries, or null when it carries none (or is not there). */
    static ConfigBundle.Deployed deployed(Secret bundleSecret) {
        Map<String, String> annotations = bundleSecret == null ? null : bundleSecret.getMetadata().getAnnotations();
        if (annotations == null || annotations.get(CONFIG_HASH_ANNOTATION) == null) {
            return null;
        }
        long revision;
        try {
            revision = Long.parseLong(annotations.getOrDefault(CONFIG_REVISION_ANNOTATION, "0"));
        } catch (NumberFormatException e) {
            revision = 0; // edited by hand: the next bundle gets a fresh, larger one
        }
        return new ConfigBundle.Deployed(annotations.get(CONFIG_HASH_ANNOTATION), revision);
    }

    /**
     * The token that authenticates the operator's pushes to the site's pods, and the pods' admin
     * certificate with its key, kept here between renewals (docs/config-push.md).
     */
    static Secret adminSecret(ProxySiteResource site, String token, ServingCertificate certificate) {
        Base64.Encoder base64 = Base64.getEncoder();
        Map<String, String> data = new LinkedHashMap<>();
        data.put(TOKEN_KEY, base64.encodeToString(token.getBytes(StandardCharsets.US_ASCII)));
        data.put(ADMIN_CERTIFICATE_KEY, base64.encodeToString(certificate.chainPem().getBytes(StandardCharsets.US_ASCII)));
        data.put(ADMIN_PRIVATE_KEY_KEY, base64.encodeToString(certificate.keyPem().getBytes(StandardCharsets.US_ASCII)));
        return new SecretBuilder()
                .withMetadata(metadata(site, adminSecretName(site)))
                .withType("Opaque")
                .withData(data)
                .build();
    }

    /** The admin certificate a Secret made by {@link #adminSecret} holds, or empty when none can be read. */
    static Optional<ServingCertificate> adminCertificate(Secret adminSecret) {
        Map<String, String> data = adminSecret == null ? null : adminSecret.getData();
        if (data == null || data.get(ADMIN_CERTIFICATE_KEY) == null || data.get(ADMIN_PRIVATE_KEY_KEY) == null) {
            return Optional.empty();
        }
        try {
            Base64.Decoder base64 = Base64.getMimeDecoder();
            return ServingCertificate.read(
                    new String(base64.decode(data.get(ADMIN_CERTIFICATE_KEY)), StandardCharsets.US_ASCII),
                    new String(base64.decode(data.get(ADMIN_PRIVATE_KEY_KEY)), StandardCharsets.US_ASCII));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** The token a Secret made by {@link #adminSecret} holds, or null. */
    static String token(Secret adminSecret) {
        String value = adminSecret == null || adminSecret.getData() == null ? null : adminSecret.getData().get(TOKEN_KEY);
        if (value == null || value.isEmpty()) {
            return null;
        }
        try {
            return new String(Base64.getDecoder().decode(value), StandardCharsets.US_ASCII).trim();
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * Traffic ports open to all; the admin port, which takes config pushes, only to the
     * operator's pods; the metrics port to the pods of {@code metricsNamespaces} (where Prometheus
     * runs), or, when none are named, to all: it serves only {@code GET /metrics}, read-only like the
     * traffic ports (docs/observability.md). Kubelet probes come from the node, which NetworkPolicy
     * implementations let through.
     */
    static NetworkPolicy networkPolicy(ProxySiteResource site, String operatorNamespace,
            Set<String> metricsNamespaces) {
        var adminPeer = new NetworkPolicyPeerBuilder()
                .withNewPodSelector().addToMatchLabels(NAME_LABEL, OPERATOR_APP_NAME).endPodSelector();
        if (operatorNamespace != null) {
            adminPeer.withNewNamespaceSelector()
                    .addToMatchLabels("kubernetes.io/metadata.name", operatorNamespace)
                    .endNamespaceSelector();
        }
        return new NetworkPolicyBuilder()
                .withMetadata(metadata(site, proxyName(site)))
                .withNewSpec()
                    .withNewPodSelector().withMatchLabels(selectorLabels(site)).endPodSelector()
                    .withPolicyTypes("Ingress")
                    .addNewIngress()
                        .withPorts(networkPolicyPort(HTTP_PORT), networkPolicyPort(HTTPS_PORT))
                    .endIngress()
                    .addNewIngress()
                        .withPorts(networkPolicyPort(ADMIN_PORT))
                        .withFrom(adminPeer.build())
                    .endIngress()
                    .addNewIngress()
                        .withPorts(networkPolicyPort(METRICS_PORT))
                        .withFrom(metricsNamespaces.stream().sorted()
                                .map(namespace -> new NetworkPolicyPeerBuilder().withNewNamespaceSelector()
                                        .addToMatchLabels("kubernetes.io/metadata.name", namespace)
                                        .endNamespaceSelector().build())
                                .toList())
                    .endIngress()
                .endSpec()
                .build();
    }

    private static NetworkPolicyPort networkPolicyPort(int port) {
        return new NetworkPolicyPortBuilder().withProtocol("TCP").withPort(new IntOrString(port)).build();
    }

    static ServiceAccount serviceAccount(ProxySiteResource site) {
        // The proxy never talks to the API server: no token in its pods.
        return new ServiceAccountBuilder()
                .withMetadata(metadata(site, proxyName(site)))
                .withAutomountServiceAccountToken(false)
                .build();
    }

    /**
     * The site's Service as {@code spec.service} asks: only the fields set there are applied,
     * so what the cluster fills in (allocated node ports, the cloud controller's annotations,
     * the load balancer's status) stays the cluster's and is never fought over.
     */
    static Service service(ProxySiteResource site, ProxySiteSpec spec) {
        Exposure exposure = spec.service() != null ? spec.service()
                : new Exposure(Exposure.Type.ClusterIP, Map.of(), null, null, List.of(), null);
        Exposure.NodePorts nodePorts = exposure.nodePorts();
        List<ServicePort> ports = new ArrayList<>();
        ports.add(servicePort("http", 80, HTTP_PORT, nodePorts == null ? null : nodePorts.http()));
        if (spec.tls() != null) {
            ports.add(servicePort("https", 443, HTTPS_PORT, nodePorts == null ? null : nodePorts.https()));
        }
        ObjectMeta metadata = metadata(site, proxyName(site));
        if (exposure.annotations() != null && !exposure.annotations().isEmpty()) {
            metadata.setAnnotations(new TreeMap<>(exposure.annotations()));
        }
        Exposure.Type type = exposure.type() == null ? Exposure.Type.ClusterIP : exposure.type();
        // The admin port (9901) takes config pushes: it is deliberately not part of the Service.
        return new ServiceBuilder()
                .withMetadata(metadata)
                .withNewSpec()
                    .withType(type.name())
                    .withSelector(selectorLabels(site))
                    .withPorts(ports)
                    .withExternalTrafficPolicy(exposure.externalTrafficPolicy() == null ? null
                            : exposure.externalTrafficPolicy().name())
                    .withLoadBalancerClass(exposure.loadBalancerClass())
                    .withLoadBalancerSourceRanges(exposure.loadBalancerSourceRanges() == null
                            || exposure.loadBalancerSourceRanges().isEmpty() ? null : exposure.loadBalancerSourceRanges())
                .endSpec()
                .build();
    }

    private static ServicePort servicePort(String name, int port, int targetPort, Integer nodePort) {
        return new ServicePortBuilder()
                .withName(name)
                .withProtocol("TCP")
                .withPort(port)
                .withTargetPort(new IntOrString(targetPort))
                .withNodePort(nodePort)
                .build();
    }

    static PodDisruptionBudget podDisruptionBudget(ProxySiteResource site) {
        return new PodDisruptionBudgetBuilder()
                .withMetadata(metadata(site, proxyName(site)))
                .withNewSpec()
                    .withMaxUnavailable(new IntOrString(1))
                    .withSelector(new LabelSelectorBuilder().withMatchLabels(selectorLabels(site)).build())
                .endSpec()
                .build();
    }

    /**
     * The pod template holds nothing that a push delivers: a route change or a certificate
     * rotation reaches running pods through their admin port and restarts nothing. What does
     * roll the pods is what a process reads only at start: the image, resources, arguments
     * and the bundle's volume layout (which TLS Secrets it names), and the pod settings of the
     * site's ProxyClass.
     */
    static Deployment deployment(ProxySiteResource site, ProxySiteSpec spec, PodSettings pod) {
        List<String> args = List.of(
                "--site", CONFIG_DIR + "/" + ConfigBundle.SITE_FILE,
                "--secrets-dir", CONFIG_DIR + "/secrets",
                "--http-port", Integer.toString(HTTP_PORT),
                "--https-port", Integer.toString(HTTPS_PORT),
                "--admin-port", Integer.toString(ADMIN_PORT),
                "--bind", "0.0.0.0",
                "--admin-bind", "0.0.0.0",
                "--revision-file", CONFIG_DIR + "/" + BundleFiles.REVISION_FILE,
                "--admin-token-file", ADMIN_TOKEN_DIR + "/" + TOKEN_KEY,
                "--admin-tls-secret", ADMIN_TLS_SECRET,
                "--metrics-port", Integer.toString(METRICS_PORT),
                "--drain-timeout", DRAIN_TIMEOUT);
        var container = new ContainerBuilder()
                .withName("proxy")
                .withImage(pod.image())
                .withImagePullPolicy("IfNotPresent")
                .withArgs(args)
                // Empty, not null, where the class sets nothing: JOSDK's matcher reads these lists.
                .withEnv(pod.jvmOptions().isEmpty() ? List.of()
                        : List.of(new EnvVar(JVM_OPTIONS_VARIABLE, String.join(" ", pod.jvmOptions()), null)))
                .withPorts(
                        new ContainerPortBuilder().withName("http").withContainerPort(HTTP_PORT).withProtocol("TCP").build(),
                        new ContainerPortBuilder().withName("https").withContainerPort(HTTPS_PORT).withProtocol("TCP").build(),
                        new ContainerPortBuilder().withName("admin").withContainerPort(ADMIN_PORT).withProtocol("TCP").build(),
                        new ContainerPortBuilder().withName("metrics").withContainerPort(METRICS_PORT).withProtocol("TCP").build())
                .withResources(pod.resources())
                .withNewLivenessProbe()
                    // TLS only; the kubelet does not verify a probe's certificate.
                    .withNewHttpGet().withPath("/healthz").withPort(new IntOrString("admin")).withScheme("HTTPS").endHttpGet()
                    .withInitialDelaySeconds(5)
                    .withPeriodSeconds(10)
                    .withTimeoutSeconds(2)
                    .withFailureThreshold(3)
                .endLivenessProbe()
                .withNewReadinessProbe()
                    .withNewHttpGet().withPath("/readyz").withPort(new IntOrString("admin")).withScheme("HTTPS").endHttpGet()
                    .withPeriodSeconds(5)
                    .withTimeoutSeconds(2)
                    .withFailureThreshold(2)
                .endReadinessProbe()
                .withNewLifecycle()
                    // The image is distroless (no shell, no sleep binary): the kubelet's own sleep action.
                    .withNewPreStop().withNewSleep(PRE_STOP_SLEEP_SECONDS).endPreStop()
                .endLifecycle()
                .withNewSecurityContext()
                    .withRunAsNonRoot(true)
                    .withAllowPrivilegeEscalation(false)
                    .withReadOnlyRootFilesystem(true)
                    .withNewCapabilities().withDrop("ALL").endCapabilities()
                .endSecurityContext()
                .addNewVolumeMount().withName("config").withMountPath(CONFIG_DIR).withReadOnly(true).endVolumeMount()
                .addNewVolumeMount().withName("admin-token").withMountPath(ADMIN_TOKEN_DIR).withReadOnly(true).endVolumeMount()
                // The JVM and Netty's native libraries need a writable /tmp.
                .addNewVolumeMount().withName("tmp").withMountPath("/tmp").endVolumeMount()
                .build();

        return new DeploymentBuilder()
                .withMetadata(metadata(site, proxyName(site)))
                .withNewSpec()
                    .withReplicas(spec.replicas())
                    .withNewSelector().withMatchLabels(selectorLabels(site)).endSelector()
                    .withNewTemplate()
                        .withNewMetadata()
                            .withLabels(podLabels(site, pod))
                            .withAnnotations(pod.podAnnotations())
                        .endMetadata()
                        .withNewSpec()
                            .withServiceAccountName(proxyName(site))
                            .withImagePullSecrets(pod.imagePullSecrets())
                            .withNodeSelector(pod.nodeSelector())
                            .withTolerations(pod.tolerations())
                            .withAffinity(pod.affinity())
                            .withPriorityClassName(pod.priorityClassName())
                            .withAutomountServiceAccountToken(false)
                            .withTerminationGracePeriodSeconds(TERMINATION_GRACE_SECONDS)
                            .withNewSecurityContext()
                                .withRunAsNonRoot(true)
                                .withRunAsUser(NON_ROOT_ID)
                                .withRunAsGroup(NON_ROOT_ID)
                                .withFsGroup(NON_ROOT_ID)
                                .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
                            .endSecurityContext()
                            .withTopologySpreadConstraints(spread(site, pod))
                            .withContainers(container)
                            .addNewVolume()
                                .withName("config")
                                .withNewSecret()
                                    .withSecretName(bundleName(site))
                                    .withItems(bundleItems(spec))
                                    .withDefaultMode(0440)
                                .endSecret()
                            .endVolume()
                            .addNewVolume()
                                .withName("admin-token")
                                .withNewSecret()
                                    .withSecretName(adminSecretName(site))
                                    // The token only: the admin certificate reaches the pod in the bundle.
                                    .withItems(new KeyToPath(TOKEN_KEY, null, TOKEN_KEY))
                                    .withDefaultMode(0440)
                                .endSecret()
                            .endVolume()
                            .addNewVolume().withName("tmp").withNewEmptyDir().endEmptyDir().endVolume()
                        .endSpec()
                    .endTemplate()
                .endSpec()
                .build();
    }

    /** The class's pod labels under the operator's, which select the pods and always win. */
    private static Map<String, String> podLabels(ProxySiteResource site, PodSettings pod) {
        Map<String, String> podLabels = new LinkedHashMap<>(labels(site));
        pod.podLabels().forEach(podLabels::putIfAbsent);
        return podLabels;
    }

    /** The class's spread constraints; one without a label selector counts the site's own pods. */
    private static List<TopologySpreadConstraint> spread(ProxySiteResource site, PodSettings pod) {
        return pod.topologySpreadConstraints().stream()
                .map(constraint -> constraint.getLabelSelector() != null ? constraint
                        : new TopologySpreadConstraintBuilder(constraint)
                                .withNewLabelSelector().withMatchLabels(selectorLabels(site)).endLabelSelector()
                                .build())
                .toList();
    }

    /**
     * Maps the bundle's flat keys onto the runtime's layout: site.yaml and secrets/NAME/tls.crt|tls.key,
     * the admin certificate's secret first.
     */
    static List<KeyToPath> bundleItems(ProxySiteSpec spec) {
        List<KeyToPath> items = new ArrayList<>();
        items.add(new KeyToPath(ConfigBundle.SITE_FILE, null, ConfigBundle.SITE_FILE));
        items.add(new KeyToPath(BundleFiles.REVISION_FILE, null, BundleFiles.REVISION_FILE));
        // In every bundle ("{}" when no backend resolves), so endpoint changes never change the pod template.
        items.add(new KeyToPath(BundleFiles.ENDPOINTS_FILE, null, BundleFiles.ENDPOINTS_FILE));
        items.add(new KeyToPath(ConfigBundle.certificateKey(ADMIN_TLS_SECRET), null,
                "secrets/" + ADMIN_TLS_SECRET + "/tls.crt"));
        items.add(new KeyToPath(ConfigBundle.privateKeyKey(ADMIN_TLS_SECRET), null,
                "secrets/" + ADMIN_TLS_SECRET + "/tls.key"));
        for (String secretName : tlsSecretNames(spec)) {
            items.add(new KeyToPath(ConfigBundle.certificateKey(secretName), null, "secrets/" + secretName + "/tls.crt"));
            items.add(new KeyToPath(ConfigBundle.privateKeyKey(secretName), null, "secrets/" + secretName + "/tls.key"));
        }
        for (String secretName : BasicAuthSecrets.referenced(spec).keySet()) {
            items.add(new KeyToPath(BundleFiles.htpasswdKey(secretName), null,
                    "secrets/" + secretName + "/" + BasicAuthSecrets.KEY));
        }
        if (spec.tls() != null && spec.tls().acme() != null) {
            // Always in an ACME site's bundle (empty between orders), so orders never change the pod template.
            items.add(new KeyToPath(BundleFiles.ACME_CHALLENGES_FILE, null, BundleFiles.ACME_CHALLENGES_FILE));
        }
        return items;
    }

    /** The distinct Secret names spec.tls refers to, in the order written, ACME's last. */
    static List<String> tlsSecretNames(ProxySiteSpec spec) {
        if (spec == null || spec.tls() == null) {
            return List.of();
        }
        // acme.secretName too: before defaults, ACME's certificate is not among the certificates yet.
        Stream<String> acme = spec.tls().acme() == null || spec.tls().acme().secretName() == null ? Stream.empty()
                : Stream.of(spec.tls().acme().secretName());
        return Stream.concat(Optional.ofNullable(spec.tls().certificates()).orElse(List.of()).stream()
                        .filter(c -> c != null && c.secretName() != null)
                        .map(Tls.Certificate::secretName), acme)
                .distinct()
                .toList();
    }

    /** https://HOST with TLS, else http://HOST, for the first host that is not a wildcard; null if none. */
    /** The site's first exact host; with wildcard hosts only, its load balancer's first address; else null. */
    static String url(ProxySiteSpec spec, List<ProxySiteStatus.Address> addresses) {
        String scheme = spec.tls() != null ? "https://" : "http://";
        return spec.hosts().stream()
                .filter(host -> !host.startsWith("*"))
                .findFirst()
                .or(() -> addresses.stream().findFirst()
                        .map(a -> a.type().equals("IPAddress") && a.value().contains(":") ? "[" + a.value() + "]" : a.value()))
                .map(host -> scheme + host)
                .orElse(null);
    }
}
