package dev.portico.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;
import static org.assertj.core.api.Assertions.tuple;

import dev.portico.crds.ProxySiteLoader;
import dev.portico.crds.v1alpha1.ProxySiteSpec;
import dev.portico.crds.v1alpha1.ProxySiteStatus;
import dev.portico.operator.api.ProxySiteResource;
import dev.portico.operator.pki.AdminCa;
import dev.portico.operator.pki.Lifetimes;
import dev.portico.operator.pki.ServingCertificate;
import dev.portico.operator.proxyclass.PodSettings;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DerivedResourcesTest {

    private static final String PLAIN = """
            apiVersion: portico.dev/v1alpha1
            kind: ProxySite
            metadata: {name: vera, namespace: aidoo}
            spec:
              hosts: ["vera.example.com"]
              replicas: 3
              routes:
                - match: {path: {value: /}}
                  backend: {service: vera-frontend, port: 3000}
            """;

    private static final String TLS = """
            apiVersion: portico.dev/v1alpha1
            kind: ProxySite
            metadata: {name: vera, namespace: aidoo}
            spec:
              hosts: ["*.vera.example.com", "Vera.example.com"]
              tls:
                certificates: [{secretName: vera-tls}]
              routes:
                - match: {path: {value: /}}
                  backend: {service: vera-frontend, port: 3000}
            """;

    private static final Map<String, ConfigBundle.TlsPair> VERA_TLS =
            Map.of("vera-tls", new ConfigBundle.TlsPair("CERT PEM", "KEY PEM"));
    private static final ConfigBundle.TlsPair ADMIN = new ConfigBundle.TlsPair("ADMIN CERT PEM", "ADMIN KEY PEM");
    private static final AdminCa CA = AdminCa.create(Instant.parse("2026-12-01T00:00:00Z"), Lifetimes.DEFAULT);

    static ProxySiteResource site(String yaml) {
        ProxySiteResource site = new ProxySiteResource();
        site.setMetadata(new ObjectMetaBuilder().withName("vera").withNamespace("aidoo").withUid("uid-1").withGeneration(1L).build());
        site.setSpec(ProxySiteLoader.parse(yaml).spec());
        return site;
    }

    static ProxySiteSpec normalised(String yaml) {
        return ProxySiteLoader.load(yaml).spec();
    }

    @Test
    void everyObjectIsOwnedByTheSiteAsControllerAndLabelled() {
        ProxySiteResource site = site(PLAIN);
        ProxySiteSpec spec = normalised(PLAIN);
        ConfigBundle bundle = ConfigBundle.render("vera", "aidoo", spec, Map.of(), ADMIN);
        var objects = java.util.List.of(
                DerivedResources.deployment(site, spec, PodSettings.defaults("portico/proxy:1")),
                DerivedResources.service(site, spec),
                DerivedResources.serviceAccount(site),
                DerivedResources.podDisruptionBudget(site),
                DerivedResources.networkPolicy(site, "portico-system", java.util.Set.of()),
                DerivedResources.bundleSecret(site, bundle),
                DerivedResources.adminSecret(site, "t0ken", adminCertificate(site)));
        for (var object : objects) {
            assertThat(object.getMetadata().getNamespace()).isEqualTo("aidoo");
            assertThat(object.getMetadata().getLabels()).containsOnly(
                    entry("app.kubernetes.io/name", "portico-proxy"),
                    entry("app.kubernetes.io/instance", "vera"),
                    entry("app.kubernetes.io/managed-by", "portico"));
            assertThat(object.getMetadata().getOwnerReferences()).singleElement().satisfies(owner -> {
                assertThat(owner.getApiVersion()).isEqualTo("portico.dev/v1alpha1");
                assertThat(owner.getKind()).isEqualTo("ProxySite");
                assertThat(owner.getName()).isEqualTo("vera");
                assertThat(owner.getUid()).isEqualTo("uid-1");
                assertThat(owner.getController()).isTrue();
            });
        }
        assertThat(objects).extracting(o -> o.getMetadata().getName())
                .containsExactly("vera-proxy", "vera-proxy", "vera-proxy", "vera-proxy", "vera-proxy",
                        "vera-proxy-config", "vera-proxy-admin");
    }

    @Test
    void deploymentRunsTheRuntimeHardenedAndProbedOnTheAdminPort() {
        ProxySiteSpec spec = normalised(PLAIN);
        Deployment deployment = DerivedResources.deployment(site(PLAIN), spec, PodSettings.defaults("portico/proxy:1"));

        assertThat(deployment.getSpec().getReplicas()).isEqualTo(3);
        assertThat(deployment.getSpec().getSelector().getMatchLabels()).containsOnly(
                entry("app.kubernetes.io/name", "portico-proxy"), entry("app.kubernetes.io/instance", "vera"));

        PodSpec pod = deployment.getSpec().getTemplate().getSpec();
        assertThat(pod.getServiceAccountName()).isEqualTo("vera-proxy");
        assertThat(pod.getAutomountServiceAccountToken()).isFalse();
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
        assertThat(pod.getTerminationGracePeriodSeconds()).isGreaterThan(25 + 5);
        assertThat(pod.getTopologySpreadConstraints()).as("over zones and nodes, counting the site's pods")
                .extracting(c -> c.getTopologyKey(), c -> c.getLabelSelector().getMatchLabels())
                .containsExactly(
                        tuple("topology.kubernetes.io/zone", deployment.getSpec().getSelector().getMatchLabels()),
                        tuple("kubernetes.io/hostname", deployment.getSpec().getSelector().getMatchLabels()));

        Container proxy = pod.getContainers().get(0);
        assertThat(proxy.getImage()).isEqualTo("portico/proxy:1");
        assertThat(String.join(" ", proxy.getArgs())).isEqualTo("--site /etc/portico/site.yaml "
                + "--secrets-dir /etc/portico/secrets --http-port 8080 --https-port 8443 --admin-port 9901 "
                + "--bind 0.0.0.0 --admin-bind 0.0.0.0 --revision-file /etc/portico/revision "
                + "--admin-token-file /var/run/portico/admin/token --admin-tls-secret _admin --metrics-port 9902 "
                + "--drain-timeout 25s");
        assertThat(proxy.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(proxy.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        assertThat(proxy.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(proxy.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
        assertThat(proxy.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
        assertThat(proxy.getLivenessProbe().getHttpGet().getPort().getStrVal()).isEqualTo("admin");
        // The admin port speaks TLS only; the kubelet probes it over HTTPS without verifying.
        assertThat(proxy.getLivenessProbe().getHttpGet().getScheme()).isEqualTo("HTTPS");
        assertThat(proxy.getReadinessProbe().getHttpGet().getScheme()).isEqualTo("HTTPS");
        assertThat(proxy.getPorts()).anySatisfy(p -> {
            assertThat(p.getName()).isEqualTo("admin");
            assertThat(p.getContainerPort()).isEqualTo(9901);
        });
        // What a PodMonitor names: plain HTTP, GET /metrics only, bound where the admin port is (0.0.0.0).
        assertThat(proxy.getPorts()).anySatisfy(p -> {
            assertThat(p.getName()).isEqualTo("metrics");
            assertThat(p.getContainerPort()).isEqualTo(9902);
        });
        assertThat(proxy.getLifecycle().getPreStop().getSleep().getSeconds()).isEqualTo(5L);
        assertThat(proxy.getResources().getRequests()).containsKeys("cpu", "memory");
        assertThat(proxy.getResources().getLimits()).containsKeys("memory");
        assertThat(proxy.getVolumeMounts()).anySatisfy(m -> {
            assertThat(m.getMountPath()).isEqualTo("/etc/portico");
            assertThat(m.getReadOnly()).isTrue();
        });
        assertThat(pod.getVolumes()).anySatisfy(v -> assertThat(v.getSecret().getSecretName()).isEqualTo("vera-proxy-config"));
        // Only the token of the admin Secret is mounted: the admin certificate comes with the bundle.
        assertThat(pod.getVolumes()).anySatisfy(v -> {
            assertThat(v.getSecret().getSecretName()).isEqualTo("vera-proxy-admin");
            assertThat(v.getSecret().getItems()).extracting(i -> i.getKey() + "=" + i.getPath()).containsExactly("token=token");
        });
    }

    @Test
    void theAdminSecretKeepsTheTokenAndThePodsAdminCertificateWhichNamesTheSitesService() {
        ProxySiteResource site = site(PLAIN);
        ServingCertificate certificate = adminCertificate(site);

        Secret secret = DerivedResources.adminSecret(site, "t0ken", certificate);

        assertThat(secret.getData()).containsOnlyKeys("token", "tls.crt", "tls.key");
        assertThat(DerivedResources.token(secret)).isEqualTo("t0ken");
        ServingCertificate read = DerivedResources.adminCertificate(secret).orElseThrow();
        assertThat(read.leaf()).isEqualTo(certificate.leaf());
        assertThat(ServingCertificate.dnsNames(read.leaf()))
                .containsExactly("vera-proxy.aidoo.svc", "vera-proxy.aidoo.svc.cluster.local");
        assertThat(DerivedResources.adminCertificate(DerivedResources.adminSecret(site, "t0ken", certificate)
                .toBuilder().withData(Map.of("token", "dDBrZW4=")).build())).isEmpty();
    }

    private static ServingCertificate adminCertificate(ProxySiteResource site) {
        return ServingCertificate.of(CA.issuing().issue(DerivedResources.adminNames(site),
                Instant.parse("2026-12-02T00:00:00Z"), Lifetimes.DEFAULT.serving()));
    }

    @Test
    void aPushableChangeLeavesThePodTemplateAloneSoNoPodRestarts() {
        ProxySiteSpec spec = normalised(TLS);
        ProxySiteSpec edited = normalised(TLS.replace("3000", "3001"));

        assertThat(DerivedResources.deployment(site(TLS), edited, PodSettings.defaults("portico/proxy:1")))
                .isEqualTo(DerivedResources.deployment(site(TLS), spec, PodSettings.defaults("portico/proxy:1")));
        assertThat(DerivedResources.deployment(site(TLS), spec, PodSettings.defaults("portico/proxy:2")).getSpec().getTemplate())
                .isNotEqualTo(DerivedResources.deployment(site(TLS), spec, PodSettings.defaults("portico/proxy:1")).getSpec().getTemplate());
    }

    @Test
    void revisionsOnlyGrowAndStayPutWhileTheContentDoes() {
        ConfigBundle bundle = ConfigBundle.render("vera", "aidoo", normalised(TLS), VERA_TLS, ADMIN);

        assertThat(bundle.at(null, 1_000).revision()).isEqualTo(1_000);
        assertThat(bundle.at(new ConfigBundle.Deployed(bundle.hash(), 7), 1_000).revision()).isEqualTo(7);
        assertThat(bundle.at(new ConfigBundle.Deployed("sha256:other", 7), 1_000).revision()).isEqualTo(1_000);
        // A clock behind the last revision (another operator replica's) still moves forward.
        assertThat(bundle.at(new ConfigBundle.Deployed("sha256:other", 5_000), 1_000).revision()).isEqualTo(5_001);
    }

    @Test
    void onlyTheOperatorsPodsMayReachTheAdminPort() {
        NetworkPolicy policy = DerivedResources.networkPolicy(site(PLAIN), "portico-system", java.util.Set.of());

        assertThat(policy.getSpec().getPodSelector().getMatchLabels()).containsOnly(
                entry("app.kubernetes.io/name", "portico-proxy"), entry("app.kubernetes.io/instance", "vera"));
        assertThat(policy.getSpec().getPolicyTypes()).containsExactly("Ingress");
        var rules = policy.getSpec().getIngress();
        assertThat(rules).hasSize(3);
        assertThat(rules.get(0).getFrom()).isNullOrEmpty();
        assertThat(rules.get(0).getPorts()).extracting(p -> p.getPort().getIntVal()).containsExactly(8080, 8443);
        assertThat(rules.get(1).getPorts()).extracting(p -> p.getPort().getIntVal()).containsExactly(9901);
        assertThat(rules.get(1).getFrom()).singleElement().satisfies(peer -> {
            assertThat(peer.getPodSelector().getMatchLabels()).containsOnly(entry("app.kubernetes.io/name", "portico-operator"));
            assertThat(peer.getNamespaceSelector().getMatchLabels())
                    .containsOnly(entry("kubernetes.io/metadata.name", "portico-system"));
        });
        // No monitoring namespace named: the metrics port, read-only, is open to all like the traffic ports.
        assertThat(rules.get(2).getPorts()).extracting(p -> p.getPort().getIntVal()).containsExactly(9902);
        assertThat(rules.get(2).getFrom()).isNullOrEmpty();
    }

    @Test
    void theMetricsPortIsOpenToTheNamedMonitoringNamespacesOnly() {
        NetworkPolicy policy = DerivedResources.networkPolicy(site(PLAIN), "portico-system",
                java.util.Set.of("prometheus", "monitoring"));

        var rules = policy.getSpec().getIngress();
        assertThat(rules).hasSize(3);
        assertThat(rules.get(0).getFrom()).as("traffic ports unchanged").isNullOrEmpty();
        assertThat(rules.get(1).getPorts()).extracting(p -> p.getPort().getIntVal()).containsExactly(9901);
        assertThat(rules.get(2).getPorts()).extracting(p -> p.getPort().getIntVal()).containsExactly(9902);
        assertThat(rules.get(2).getFrom()).as("any pod of those namespaces, in a stable order").satisfiesExactly(
                peer -> {
                    assertThat(peer.getPodSelector()).isNull();
                    assertThat(peer.getNamespaceSelector().getMatchLabels())
                            .containsOnly(entry("kubernetes.io/metadata.name", "monitoring"));
                },
                peer -> assertThat(peer.getNamespaceSelector().getMatchLabels())
                        .containsOnly(entry("kubernetes.io/metadata.name", "prometheus")));
    }

    @Test
    void bundleMountsTheSiteAndEachCertificateInTheRuntimesLayout() {
        ProxySiteSpec spec = normalised(TLS);
        ConfigBundle bundle = ConfigBundle.render("vera", "aidoo", spec, VERA_TLS, ADMIN);
        Deployment deployment = DerivedResources.deployment(site(TLS), spec, PodSettings.defaults("portico/proxy:1"));
        var items = deployment.getSpec().getTemplate().getSpec().getVolumes().get(0).getSecret().getItems();
        assertThat(items).extracting(i -> i.getKey() + "=" + i.getPath()).containsExactly(
                "site.yaml=site.yaml",
                "revision=revision",
                "backend-endpoints.json=backend-endpoints.json",
                "_admin.tls.crt=secrets/_admin/tls.crt",
                "_admin.tls.key=secrets/_admin/tls.key",
                "vera-tls.tls.crt=secrets/vera-tls/tls.crt",
                "vera-tls.tls.key=secrets/vera-tls/tls.key");
        assertThat(bundle.files()).containsOnlyKeys("site.yaml", "backend-endpoints.json", "_admin.tls.crt",
                "_admin.tls.key", "vera-tls.tls.crt", "vera-tls.tls.key");
        assertThat(bundle.files().get("backend-endpoints.json")).as("no backend resolved: DNS for all").isEqualTo("{}\n");
    }

    @Test
    void anEndpointChangeIsAnotherBundleHash() {
        ProxySiteSpec spec = normalised(TLS);
        var one = dev.portico.crds.bundle.BackendEndpoints.of(Map.of("vera-backend:8000",
                List.of(new dev.portico.crds.bundle.BackendEndpoints.Endpoint("10.244.0.7", 3000, true, true, false))));
        var two = dev.portico.crds.bundle.BackendEndpoints.of(Map.of("vera-backend:8000",
                List.of(new dev.portico.crds.bundle.BackendEndpoints.Endpoint("10.244.0.7", 3000, false, true, true))));

        ConfigBundle before = ConfigBundle.render("vera", "aidoo", spec, VERA_TLS, ADMIN, Map.of(), List.of(), one);
        ConfigBundle after = ConfigBundle.render("vera", "aidoo", spec, VERA_TLS, ADMIN, Map.of(), List.of(), two);

        assertThat(before.files().get("backend-endpoints.json")).isEqualTo(one.render());
        assertThat(after.files().get("backend-endpoints.json")).isEqualTo(two.render());
        assertThat(after.hash()).isNotEqualTo(before.hash());
        assertThat(ConfigBundle.render("vera", "aidoo", spec, VERA_TLS, ADMIN, Map.of(), List.of(), one).hash())
                .as("deterministic").isEqualTo(before.hash());
    }

    @Test
    void bundleSecretHoldsTheNormalisedSiteAndTheHashOfItsContent() {
        ProxySiteSpec spec = normalised(TLS);
        ConfigBundle bundle = ConfigBundle.render("vera", "aidoo", spec, VERA_TLS, ADMIN).at(null, 42);
        Secret secret = DerivedResources.bundleSecret(site(TLS), bundle);

        assertThat(secret.getMetadata().getAnnotations()).containsEntry("portico.dev/config-hash", bundle.hash())
                .containsEntry("portico.dev/config-revision", "42");
        assertThat(decode(secret.getData().get("revision"))).isEqualTo("42");
        assertThat(DerivedResources.deployed(secret)).isEqualTo(new ConfigBundle.Deployed(bundle.hash(), 42));
        assertThat(bundle.hash()).matches("sha256:[0-9a-f]{64}");
        String siteYaml = decode(secret.getData().get("site.yaml"));
        // Normalised: hosts lower-cased, defaults written out, and loadable by the runtime as it is.
        assertThat(siteYaml).contains("vera.example.com").doesNotContain("Vera.example.com").contains("minVersion");
        assertThat(ProxySiteLoader.load(siteYaml).spec()).isEqualTo(spec);
        assertThat(decode(secret.getData().get("vera-tls.tls.crt"))).isEqualTo("CERT PEM");
        assertThat(decode(secret.getData().get("vera-tls.tls.key"))).isEqualTo("KEY PEM");
    }

    @Test
    void hashChangesWithTheSiteAndTheCertificatesAndOnlyThen() {
        ProxySiteSpec spec = normalised(TLS);
        String hash = ConfigBundle.render("vera", "aidoo", spec, VERA_TLS, ADMIN).hash();
        assertThat(ConfigBundle.render("vera", "aidoo", normalised(TLS), VERA_TLS, ADMIN).hash()).isEqualTo(hash);
        assertThat(ConfigBundle.render("vera", "aidoo", spec,
                Map.of("vera-tls", new ConfigBundle.TlsPair("RENEWED PEM", "KEY PEM")), ADMIN).hash()).isNotEqualTo(hash);
        // A renewed admin certificate is a new bundle too: it reaches the running pods by push.
        assertThat(ConfigBundle.render("vera", "aidoo", spec, VERA_TLS,
                new ConfigBundle.TlsPair("RENEWED ADMIN PEM", "ADMIN KEY PEM")).hash()).isNotEqualTo(hash);
        assertThat(ConfigBundle.render("vera", "aidoo", normalised(TLS.replace("3000", "3001")), VERA_TLS, ADMIN).hash())
                .isNotEqualTo(hash);
    }

    @Test
    void serviceExposesHttpAndWithTlsHttpsButNeverTheAdminPort() {
        Service plain = DerivedResources.service(site(PLAIN), normalised(PLAIN));
        assertThat(plain.getSpec().getPorts()).extracting(ServicePort::getName, ServicePort::getPort)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("http", 80));
        assertThat(plain.getSpec().getPorts().get(0).getTargetPort().getIntVal()).isEqualTo(8080);

        Service tls = DerivedResources.service(site(TLS), normalised(TLS));
        assertThat(tls.getSpec().getPorts()).extracting(ServicePort::getName, ServicePort::getPort, p -> p.getTargetPort().getIntVal())
                .containsExactly(org.assertj.core.groups.Tuple.tuple("http", 80, 8080),
                        org.assertj.core.groups.Tuple.tuple("https", 443, 8443));
        assertThat(tls.getSpec().getSelector()).containsOnly(
                entry("app.kubernetes.io/name", "portico-proxy"), entry("app.kubernetes.io/instance", "vera"));
    }

    @Test
    void serviceAccountAndPodDisruptionBudget() {
        assertThat(DerivedResources.serviceAccount(site(PLAIN)).getAutomountServiceAccountToken()).isFalse();
        var pdb = DerivedResources.podDisruptionBudget(site(PLAIN));
        assertThat(pdb.getSpec().getMaxUnavailable().getIntVal()).isEqualTo(1);
        assertThat(pdb.getSpec().getSelector().getMatchLabels()).containsEntry("app.kubernetes.io/instance", "vera");
    }

    @Test
    void urlIsTheFirstExactHostWithTheSitesScheme() {
        var balancer = List.of(new ProxySiteStatus.Address("IPAddress", "203.0.113.7"));
        assertThat(DerivedResources.url(normalised(PLAIN), balancer)).isEqualTo("http://vera.example.com");
        assertThat(DerivedResources.url(normalised(TLS), balancer)).isEqualTo("https://vera.example.com");
    }

    @Test
    void withWildcardHostsOnlyTheUrlIsTheLoadBalancersFirstAddress() {
        ProxySiteSpec wildcards = normalised(PLAIN.replace("\"vera.example.com\"", "\"*.vera.example.com\""));

        assertThat(DerivedResources.url(wildcards, List.of())).isNull();
        assertThat(DerivedResources.url(wildcards, List.of(new ProxySiteStatus.Address("Hostname", "a1.elb.example"),
                new ProxySiteStatus.Address("IPAddress", "203.0.113.7")))).isEqualTo("http://a1.elb.example");
        assertThat(DerivedResources.url(wildcards, List.of(new ProxySiteStatus.Address("IPAddress", "2001:db8::7"))))
                .isEqualTo("http://[2001:db8::7]");
    }

    private static String decode(String base64) {
        return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
    }
}
