package dev.portico.operator.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;

/**
 * Holds what a cluster admin applies from deploy/ together without a cluster: every
 * manifest parses and is of a known kind, the references between them resolve, the
 * kustomization and the Dockerfiles name files that exist, and the operator's RBAC covers
 * exactly the calls the operator makes.
 */
class DeployManifestsTest {

    private static final Path REPO = Path.of(System.getProperty("basedir", ".")).resolve("..").normalize();
    private static final Path DEPLOY = REPO.resolve("deploy");
    private static final Path NAMESPACED = DEPLOY.resolve("namespaced");
    private static final Path HELM = DEPLOY.resolve("helm");
    private static final String OPERATOR_NAMESPACE = "portico-system";
    private static final String OPERATOR_DEPLOYMENT = "portico-operator";

    private static final ObjectMapper YAML = YAMLMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    /** The apiVersion and kinds deploy/ may use: what a cluster of Kubernetes 1.25 or later serves. */
    private static final Map<String, Set<String>> KNOWN_KINDS = Map.of(
            "v1", Set.of("Namespace", "ServiceAccount", "Service", "ConfigMap", "Secret"),
            "apps/v1", Set.of("Deployment"),
            "policy/v1", Set.of("PodDisruptionBudget"),
            "rbac.authorization.k8s.io/v1", Set.of("ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"),
            "apiextensions.k8s.io/v1", Set.of("CustomResourceDefinition"),
            "portico.dev/v1alpha1", Set.of("ProxySite", "ProxyClass"),
            "kustomize.config.k8s.io/v1beta1", Set.of("Kustomization"));

    private static final Set<String> CLUSTER_SCOPED_KINDS =
            Set.of("Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition");

    enum Scope { CLUSTER, OPERATOR_NAMESPACE }

    /** One API call the operator makes: a verb on a resource, cluster-wide or in its own namespace. */
    record Permission(String apiGroup, String resource, String verb, Scope scope, String resourceName) {
        static Permission cluster(String apiGroup, String resource, String verb) {
            return new Permission(apiGroup, resource, verb, Scope.CLUSTER, null);
        }
    }

    /**
     * Every call the operator makes to the API server. This table is the single source the
     * RBAC in deploy/operator/rbac.yaml is checked against, in both directions (covered, and
     * nothing more granted); it must follow the operator's code: when the operator starts or
     * stops watching, writing or reading a kind, change this table and rbac.yaml together.
     */
    static final List<Permission> OPERATOR_CALLS = permissions();

    private static List<Permission> permissions() {
        List<Permission> calls = new ArrayList<>();
        // The primary: read through an informer; never created, updated or deleted, no finalizer.
        for (String verb : List.of("list", "watch")) {
            calls.add(Permission.cluster("portico.dev", "proxysites", verb));
        }
        // The status, written whole with one JSON patch (StatusWriter).
        calls.add(Permission.cluster("portico.dev", "proxysites/status", "patch"));
        // Owner references with blockOwnerDeletion, under OwnerReferencesPermissionEnforcement.
        calls.add(Permission.cluster("portico.dev", "proxysites/finalizers", "update"));
        // The dependents, each watched (managed-by=portico) and written by server-side apply; the
        // garbage collector deletes them with their site, except the PDB, which the operator
        // deletes itself when replicas drop to 1. Services are also read for the backends the
        // routes name; Secrets for the certificates the sites name (informer of
        // type=kubernetes.io/tls, plus a get by name of one it does not hold).
        for (String verb : List.of("list", "watch", "create", "patch")) {
            calls.add(Permission.cluster("apps", "deployments", verb));
            calls.add(Permission.cluster("", "services", verb));
            calls.add(Permission.cluster("", "serviceaccounts", verb));
            calls.add(Permission.cluster("policy", "poddisruptionbudgets", verb));
            calls.add(Permission.cluster("networking.k8s.io", "networkpolicies", verb));
        }
        // JOSDK writes Secrets with create and update (PUT), not server-side apply.
        for (String verb : List.of("get", "list", "watch", "create", "update")) {
            calls.add(Permission.cluster("", "secrets", verb));
        }
        calls.add(Permission.cluster("policy", "poddisruptionbudgets", "delete"));
        // Proxy pods: their IPs for the config push, read only.
        for (String verb : List.of("list", "watch")) {
            calls.add(Permission.cluster("", "pods", verb));
        }
        // The backend Services' EndpointSlices: their pod addresses go in the bundle, read only.
        for (String verb : List.of("list", "watch")) {
            calls.add(Permission.cluster("discovery.k8s.io", "endpointslices", verb));
        }
        // ProxyClasses, cluster-scoped: read through one informer (a ClusterRole of their own).
        for (String verb : List.of("list", "watch")) {
            calls.add(Permission.cluster("portico.dev", "proxyclasses", verb));
        }
        // Warning Events on sites, core API, created once each.
        calls.add(Permission.cluster("", "events", "create"));
        // Leader election, only in the operator's own namespace and, but for create, of its one Lease.
        calls.add(new Permission("coordination.k8s.io", "leases", "create", Scope.OPERATOR_NAMESPACE, null));
        for (String verb : List.of("get", "update", "patch")) {
            calls.add(new Permission("coordination.k8s.io", "leases", verb, Scope.OPERATOR_NAMESPACE,
                    "portico-operator-lease"));
        }
        // The admin CA's Secret in the operator's own namespace: read, made when missing, rewritten
        // to rotate (granted by the ClusterRole's Secrets rule, which covers that namespace too).
        for (String verb : List.of("get", "update")) {
            calls.add(new Permission("", "secrets", verb, Scope.OPERATOR_NAMESPACE, "portico-admin-ca"));
        }
        calls.add(new Permission("", "secrets", "create", Scope.OPERATOR_NAMESPACE, null));
        return List.copyOf(calls);
    }

    record Manifest(Path file, JsonNode node) {
        String kind() {
            return node.path("kind").asText();
        }

        String name() {
            return node.at("/metadata/name").asText();
        }

        String namespace() {
            return node.at("/metadata/namespace").asText();
        }

        @Override
        public String toString() {
            return REPO.relativize(file) + ": " + kind() + " " + name();
        }
    }

    // --- every file ---------------------------------------------------------------------

    @Test
    void everyManifestParsesAndIsOfAKnownKind() {
        List<Manifest> manifests = allManifests();
        assertThat(manifests).hasSizeGreaterThan(10);
        for (Manifest manifest : manifests) {
            String apiVersion = manifest.node().path("apiVersion").asText();
            assertThat(KNOWN_KINDS).as("%s: apiVersion", manifest).containsKey(apiVersion);
            assertThat(KNOWN_KINDS.get(apiVersion)).as("%s: kind for %s", manifest, apiVersion)
                    .contains(manifest.kind());
            if (!manifest.kind().equals("Kustomization")) {
                assertThat(manifest.name()).as("%s: metadata.name", manifest).isNotEmpty();
            }
        }
    }

    @Test
    void operatorManifestsLiveInTheOperatorNamespaceWhichTheyCreate() {
        List<Manifest> operator = manifestsUnder(DEPLOY.resolve("operator"));
        assertThat(operator).anyMatch(m -> m.kind().equals("Namespace") && m.name().equals(OPERATOR_NAMESPACE));
        for (Manifest manifest : operator) {
            if (manifest.kind().equals("Kustomization")) {
                continue; // not an object; the files it lists are checked here one by one
            }
            if (CLUSTER_SCOPED_KINDS.contains(manifest.kind())) {
                assertThat(manifest.node().at("/metadata").has("namespace")).as("%s is cluster-scoped", manifest).isFalse();
            } else {
                assertThat(manifest.namespace()).as("%s: metadata.namespace", manifest).isEqualTo(OPERATOR_NAMESPACE);
            }
        }
    }

    // --- Deployments and Services -------------------------------------------------------

    @Test
    void deploymentSelectorsMatchTheirPodTemplates() {
        List<Manifest> deployments = ofKind(allManifests(), "Deployment");
        assertThat(deployments).isNotEmpty();
        for (Manifest deployment : deployments) {
            Map<String, String> selector = strings(deployment.node().at("/spec/selector/matchLabels"));
            Map<String, String> podLabels = strings(deployment.node().at("/spec/template/metadata/labels"));
            assertThat(selector).as("%s: spec.selector.matchLabels", deployment).isNotEmpty();
            assertThat(podLabels).as("%s: the pod template's labels carry the selector", deployment)
                    .containsAllEntriesOf(selector);
            assertThat(strings(deployment.node().at("/metadata/labels"))).as("%s: labels", deployment)
                    .containsAllEntriesOf(selector);
        }
    }

    @Test
    void servicesSelectPodsOfADeploymentAndTargetTheirPorts() {
        List<Manifest> manifests = allManifests();
        for (Manifest service : ofKind(manifests, "Service")) {
            Map<String, String> selector = strings(service.node().at("/spec/selector"));
            Manifest deployment = ofKind(manifests, "Deployment").stream()
                    .filter(d -> d.namespace().equals(service.namespace()))
                    .filter(d -> strings(d.node().at("/spec/template/metadata/labels")).entrySet()
                            .containsAll(selector.entrySet()))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError(service + ": selects no Deployment's pods"));
            assertThat(selector).as("%s: spec.selector", service).isNotEmpty();
            Set<String> containerPorts = new HashSet<>();
            for (JsonNode container : deployment.node().at("/spec/template/spec/containers")) {
                for (JsonNode port : container.path("ports")) {
                    containerPorts.add(port.path("name").asText());
                    containerPorts.add(port.path("containerPort").asText());
                }
            }
            for (JsonNode port : service.node().at("/spec/ports")) {
                assertThat(containerPorts).as("%s: targetPort of %s", service, port.path("name").asText())
                        .contains(port.path("targetPort").asText(port.path("port").asText()));
            }
        }
    }

    @Test
    void deploymentsRunAsAServiceAccountThatExists() {
        List<Manifest> manifests = allManifests();
        for (Manifest deployment : ofKind(manifests, "Deployment")) {
            String account = deployment.node().at("/spec/template/spec/serviceAccountName").asText();
            assertThat(account).as("%s: serviceAccountName", deployment).isNotEmpty();
            assertThat(find(manifests, "ServiceAccount", deployment.namespace(), account))
                    .as("%s: ServiceAccount %s/%s", deployment, deployment.namespace(), account).isPresent();
        }
    }

    @Test
    void operatorDeploymentIsConfiguredAsTheApiSays() {
        JsonNode deployment = operatorDeployment().node();
        JsonNode pod = deployment.at("/spec/template/spec");
        assertThat(pod.path("containers")).hasSize(1);
        JsonNode container = pod.at("/containers/0");
        Map<String, JsonNode> env = new LinkedHashMap<>();
        container.path("env").forEach(e -> env.put(e.path("name").asText(), e));

        assertThat(container.path("image").asText()).matches("[^:@]+(:[^:@/]+|@sha256:[0-9a-f]{64})");
        assertThat(env.get("PORTICO_PROXY_IMAGE").path("value").asText()).as("PORTICO_PROXY_IMAGE").isNotEmpty();
        assertThat(env.get("PORTICO_NAMESPACE").at("/valueFrom/fieldRef/fieldPath").asText())
                .as("PORTICO_NAMESPACE").isEqualTo("metadata.namespace");
        String healthPort = env.get("PORTICO_HEALTH_PORT").path("value").asText();
        assertThat(healthPort).isEqualTo("8081");
        assertThat(env.containsKey("PORTICO_LEADER_ELECTION") ? env.get("PORTICO_LEADER_ELECTION").path("value").asText()
                : "true").as("two replicas need leader election").isEqualTo("true");
        assertThat(deployment.at("/spec/replicas").asInt()).isEqualTo(2);

        // The probes ask the health port for /healthz and /readyz.
        Map<String, String> portNumbers = new LinkedHashMap<>();
        container.path("ports").forEach(p -> portNumbers.put(p.path("name").asText(), p.path("containerPort").asText()));
        assertThat(portNumbers).containsValue(healthPort);
        for (String probe : List.of("livenessProbe", "readinessProbe", "startupProbe")) {
            JsonNode get = container.path(probe).path("httpGet");
            String port = get.path("port").asText();
            assertThat(portNumbers.getOrDefault(port, port)).as(probe + " port").isEqualTo(healthPort);
            assertThat(get.path("path").asText()).as(probe + " path")
                    .isEqualTo(probe.equals("readinessProbe") ? "/readyz" : "/healthz");
        }

        // Restricted Pod Security Standard, and a read-only root filesystem.
        assertThat(pod.at("/securityContext/runAsNonRoot").asBoolean()).isTrue();
        assertThat(pod.at("/securityContext/seccompProfile/type").asText()).isEqualTo("RuntimeDefault");
        JsonNode security = container.path("securityContext");
        assertThat(security.path("allowPrivilegeEscalation").isBoolean()).isTrue();
        assertThat(security.path("allowPrivilegeEscalation").asBoolean()).isFalse();
        assertThat(security.path("readOnlyRootFilesystem").asBoolean()).isTrue();
        assertThat(texts(security.at("/capabilities/drop"))).containsExactly("ALL");
        assertThat(security.at("/capabilities").has("add")).isFalse();

        for (String kind : List.of("requests", "limits")) {
            assertThat(container.at("/resources/" + kind).has("memory")).as("resources.%s.memory", kind).isTrue();
        }
        assertThat(container.at("/resources/requests").has("cpu")).isTrue();
    }

    // --- RBAC ---------------------------------------------------------------------------

    @Test
    void bindingsReferenceRolesAndServiceAccountsThatExist() {
        List<Manifest> manifests = allManifests();
        List<Manifest> bindings = Stream.concat(ofKind(manifests, "ClusterRoleBinding").stream(),
                ofKind(manifests, "RoleBinding").stream()).toList();
        assertThat(bindings).isNotEmpty();
        for (Manifest binding : bindings) {
            JsonNode roleRef = binding.node().path("roleRef");
            assertThat(roleRef.path("apiGroup").asText()).as("%s: roleRef.apiGroup", binding)
                    .isEqualTo("rbac.authorization.k8s.io");
            String roleKind = roleRef.path("kind").asText();
            if (binding.kind().equals("ClusterRoleBinding")) {
                assertThat(roleKind).as("%s: a ClusterRoleBinding binds a ClusterRole", binding).isEqualTo("ClusterRole");
            }
            String roleNamespace = roleKind.equals("Role") ? binding.namespace() : "";
            assertThat(find(manifests, roleKind, roleNamespace, roleRef.path("name").asText()))
                    .as("%s: roleRef %s %s", binding, roleKind, roleRef.path("name").asText()).isPresent();
            assertThat(binding.node().path("subjects")).as("%s: subjects", binding).isNotEmpty();
            for (JsonNode subject : binding.node().path("subjects")) {
                assertThat(subject.path("kind").asText()).as("%s: subject kind", binding).isEqualTo("ServiceAccount");
                assertThat(subject.path("namespace").asText()).as("%s: subject namespace", binding).isNotEmpty();
                assertThat(find(manifests, "ServiceAccount", subject.path("namespace").asText(),
                        subject.path("name").asText()))
                        .as("%s: subject %s", binding, subject).isPresent();
            }
        }
    }

    @Test
    void noRuleGrantsAWildcard() {
        for (Manifest role : roles(allManifests())) {
            for (JsonNode rule : role.node().path("rules")) {
                for (String field : List.of("apiGroups", "resources", "verbs", "resourceNames", "nonResourceURLs")) {
                    assertThat(texts(rule.path(field))).as("%s: %s", role, field)
                            .noneMatch(value -> value.contains("*"));
                }
            }
        }
    }

    @Test
    void operatorRbacCoversEveryCallTheOperatorMakes() {
        Set<Permission> granted = grantedToOperator();
        for (Permission call : OPERATOR_CALLS) {
            assertThat(covers(granted, call)).as("RBAC for %s", call).isTrue();
        }
    }

    @Test
    void operatorRbacGrantsNothingTheOperatorDoesNotCall() {
        Set<Permission> needed = new HashSet<>(OPERATOR_CALLS);
        for (Permission grant : grantedToOperator()) {
            assertThat(needed).as("granted %s, which OPERATOR_CALLS does not list (least privilege: drop it from "
                    + "rbac.yaml, or add the call to the table if the operator now makes it)", grant).contains(grant);
        }
    }

    /** What the operator's ServiceAccount gets from the bindings in deploy/: cluster-wide and in its namespace. */
    private static Set<Permission> grantedToOperator() {
        List<Manifest> manifests = allManifests();
        Manifest deployment = operatorDeployment();
        String account = deployment.node().at("/spec/template/spec/serviceAccountName").asText();
        String namespace = deployment.namespace();
        Set<Permission> granted = new LinkedHashSet<>();
        for (Manifest binding : Stream.concat(ofKind(manifests, "ClusterRoleBinding").stream(),
                ofKind(manifests, "RoleBinding").stream()).toList()) {
            boolean bindsOperator = StreamSupport.stream(binding.node().path("subjects").spliterator(), false)
                    .anyMatch(s -> s.path("kind").asText().equals("ServiceAccount")
                            && s.path("name").asText().equals(account)
                            && s.path("namespace").asText().equals(namespace));
            if (!bindsOperator) {
                continue;
            }
            JsonNode roleRef = binding.node().path("roleRef");
            String roleKind = roleRef.path("kind").asText();
            Manifest role = find(manifests, roleKind, roleKind.equals("Role") ? binding.namespace() : "",
                    roleRef.path("name").asText()).orElseThrow();
            Scope scope;
            if (binding.kind().equals("ClusterRoleBinding")) {
                scope = Scope.CLUSTER;
            } else {
                assertThat(binding.namespace()).as("%s: the operator only needs namespaced rights in its own namespace",
                        binding).isEqualTo(namespace);
                scope = Scope.OPERATOR_NAMESPACE;
            }
            for (JsonNode rule : role.node().path("rules")) {
                List<String> names = texts(rule.path("resourceNames"));
                for (String group : texts(rule.path("apiGroups"))) {
                    for (String resource : texts(rule.path("resources"))) {
                        for (String verb : texts(rule.path("verbs"))) {
                            if (names.isEmpty()) {
                                granted.add(new Permission(group, resource, verb, scope, null));
                            } else {
                                names.forEach(n -> granted.add(new Permission(group, resource, verb, scope, n)));
                            }
                        }
                    }
                }
            }
        }
        return granted;
    }

    /** A call is covered by the same grant, or by one without resourceNames, or in its namespace by a cluster grant. */
    private static boolean covers(Set<Permission> granted, Permission call) {
        for (Scope scope : call.scope() == Scope.CLUSTER ? List.of(Scope.CLUSTER)
                : List.of(Scope.OPERATOR_NAMESPACE, Scope.CLUSTER)) {
            if (granted.contains(new Permission(call.apiGroup(), call.resource(), call.verb(), scope, null))
                    || (call.resourceName() != null && granted.contains(
                            new Permission(call.apiGroup(), call.resource(), call.verb(), scope, call.resourceName())))) {
                return true;
            }
        }
        return false;
    }

    // --- kustomization and Dockerfiles --------------------------------------------------

    @Test
    void kustomizationListsFilesThatExistAndEveryInstallManifest() throws IOException {
        Path kustomizationFile = DEPLOY.resolve("kustomization.yaml");
        assertThat(kustomizationFile).exists();
        JsonNode kustomization = YAML.readTree(kustomizationFile.toFile());
        Set<Path> listed = new HashSet<>();
        for (String resource : texts(kustomization.path("resources"))) {
            Path path = DEPLOY.resolve(resource).normalize();
            assertThat(path).as("kustomization resource %s", resource).exists();
            assertThat(path.startsWith(DEPLOY)).as("%s stays inside deploy/ (kustomize's load restrictor)", resource)
                    .isTrue();
            if (Files.isDirectory(path)) {
                Path nested = path.resolve("kustomization.yaml");
                assertThat(nested).as("directory resource %s", resource).exists();
                listed.add(nested);
                for (String file : texts(YAML.readTree(nested.toFile()).path("resources"))) {
                    assertThat(path.resolve(file)).as("%s resource %s", REPO.relativize(nested), file).exists();
                    listed.add(path.resolve(file).normalize());
                }
            }
            listed.add(path);
        }
        // Nothing written for the install is forgotten: the CRD and every operator file.
        try (Stream<Path> crds = Files.list(DEPLOY.resolve("crds"));
             Stream<Path> operator = Files.list(DEPLOY.resolve("operator"))) {
            Stream.concat(crds, operator).filter(DeployManifestsTest::isYaml).forEach(file ->
                    assertThat(listed).as("kustomization.yaml lists %s", REPO.relativize(file)).contains(file));
        }
        // `images:` rewrites the operator's image only if it names it.
        String image = operatorDeployment().node().at("/spec/template/spec/containers/0/image").asText();
        assertThat(kustomization.path("images").findValues("name").stream().map(JsonNode::asText).toList())
                .as("kustomization images").allMatch(name -> image.startsWith(name + ":") || image.startsWith(name + "@"));
    }

    @Test
    void dockerfilesCopyPathsThatExistAndRunAsNonRoot() throws IOException {
        List<Path> dockerfiles;
        try (Stream<Path> files = Files.list(DEPLOY.resolve("docker"))) {
            dockerfiles = files.filter(f -> f.getFileName().toString().endsWith("Dockerfile")).sorted().toList();
        }
        assertThat(dockerfiles).extracting(f -> f.getFileName().toString())
                .contains("operator.Dockerfile", "proxy-runtime.Dockerfile");
        Pattern copy = Pattern.compile("(?im)^COPY\\s+(.+)$");
        for (Path dockerfile : dockerfiles) {
            String text = Files.readString(dockerfile);
            Matcher matcher = copy.matcher(text);
            int copies = 0;
            while (matcher.find()) {
                copies++;
                List<String> words = List.of(matcher.group(1).trim().split("\\s+"));
                List<String> sources = words.subList(0, words.size() - 1).stream()
                        .filter(word -> !word.startsWith("--chown") && !word.startsWith("--chmod"))
                        .toList();
                if (!sources.isEmpty() && sources.get(0).startsWith("--from=")) {
                    // From the build stage, which ran in /src: the module that builds it must exist.
                    String built = sources.get(1);
                    assertThat(built).as("%s: %s", dockerfile.getFileName(), matcher.group()).startsWith("/src/");
                    String module = Path.of(built.substring("/src/".length())).getName(0).toString();
                    assertThat(REPO.resolve(module).resolve("pom.xml")).as("%s: %s", dockerfile.getFileName(),
                            matcher.group()).exists();
                    continue;
                }
                for (String source : sources) {
                    assertThat(REPO.resolve(source)).as("%s: %s (build context: the repository root)",
                            dockerfile.getFileName(), matcher.group()).exists();
                }
            }
            assertThat(copies).as("%s COPY instructions", dockerfile.getFileName()).isPositive();
            List<String> from = text.lines().filter(l -> l.startsWith("FROM ")).toList();
            assertThat(from.get(from.size() - 1)).as("%s: final stage", dockerfile.getFileName()).contains("nonroot");
            assertThat(text).as("%s: USER", dockerfile.getFileName()).containsPattern("(?m)^USER 65532(:65532)?$");
        }
    }

    @Test
    void operatorDockerfileBuildsTheJarItCopies() throws IOException {
        String text = Files.readString(DEPLOY.resolve("docker/operator.Dockerfile"));
        assertThat(text).contains("-pl operator -am")
                .contains("COPY --from=build /src/operator/target/operator.jar /app/operator.jar")
                .contains("\"-jar\", \"/app/operator.jar\"");
    }

    // --- helpers ------------------------------------------------------------------------

    private static Manifest operatorDeployment() {
        return find(allManifests(), "Deployment", OPERATOR_NAMESPACE, OPERATOR_DEPLOYMENT)
                .orElseThrow(() -> new AssertionError("no Deployment " + OPERATOR_NAMESPACE + "/" + OPERATOR_DEPLOYMENT));
    }

    private static List<Manifest> roles(List<Manifest> manifests) {
        return Stream.concat(ofKind(manifests, "ClusterRole").stream(), ofKind(manifests, "Role").stream()).toList();
    }

    private static Optional<Manifest> find(List<Manifest> manifests, String kind, String namespace, String name) {
        return manifests.stream()
                .filter(m -> m.kind().equals(kind) && m.name().equals(name) && m.namespace().equals(namespace))
                .findFirst();
    }

    private static List<Manifest> ofKind(List<Manifest> manifests, String kind) {
        return manifests.stream().filter(m -> m.kind().equals(kind)).toList();
    }

    /**
     * The manifests of the default install and the examples. deploy/namespaced/ is a kustomize
     * overlay whose documents take their namespace from kustomize: it is held by
     * {@link #theNamespacedInstallGrantsTheClusterRoleAsARole} here and rendered and installed by
     * NamespacedInstallClusterTest.
     */
    private static List<Manifest> allManifests() {
        return manifestsUnder(DEPLOY).stream().filter(m -> !m.file().startsWith(NAMESPACED)).toList();
    }

    @Test
    void theNamespacedInstallGrantsTheClusterRoleAsARole() {
        List<Manifest> shipped = manifestsUnder(DEPLOY.resolve("operator"));
        List<Manifest> namespaced = manifestsUnder(NAMESPACED);
        Manifest clusterRole = find(shipped, "ClusterRole", "", "portico-operator").orElseThrow();
        Manifest role = namespaced.stream().filter(m -> m.kind().equals("Role") && m.name().equals("portico-operator"))
                .findFirst().orElseThrow();
        assertThat(role.node().path("rules")).isEqualTo(clusterRole.node().path("rules"));
        Manifest leaderElection = find(shipped, "Role", OPERATOR_NAMESPACE, "portico-operator-leader-election").orElseThrow();
        Manifest namespacedLeaderElection = namespaced.stream()
                .filter(m -> m.kind().equals("Role") && m.name().equals("portico-operator-leader-election"))
                .findFirst().orElseThrow();
        assertThat(namespacedLeaderElection.node().path("rules")).isEqualTo(leaderElection.node().path("rules"));
    }

    /** Every document of every YAML file below the folder; YAML's "---" separates documents. */
    private static List<Manifest> manifestsUnder(Path folder) {
        List<Manifest> manifests = new ArrayList<>();
        try (Stream<Path> files = Files.walk(folder)) {
            // The Helm chart's files are templates, not manifests: HelmChartTest renders them.
            for (Path file : files.filter(DeployManifestsTest::isYaml).filter(f -> !f.startsWith(HELM)).sorted().toList()) {
                ObjectReader reader = YAML.readerFor(JsonNode.class);
                for (JsonNode document : reader.<JsonNode>readValues(file.toFile()).readAll()) {
                    if (document != null && !document.isNull() && !document.isMissingNode()) {
                        assertThat(document.isObject()).as("%s: a document is a mapping", file).isTrue();
                        manifests.add(new Manifest(file, document));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the manifests under " + folder, e);
        }
        return manifests;
    }

    private static boolean isYaml(Path file) {
        String name = file.getFileName().toString();
        return Files.isRegularFile(file) && (name.endsWith(".yaml") || name.endsWith(".yml"));
    }

    private static Map<String, String> strings(JsonNode object) {
        Map<String, String> map = new LinkedHashMap<>();
        object.properties().forEach(e -> map.put(e.getKey(), e.getValue().asText()));
        return map;
    }

    private static List<String> texts(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).map(JsonNode::asText).collect(Collectors.toList());
    }
}
