package dev.portico.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import dev.portico.crds.ProxySiteLoader;
import dev.portico.crds.v1alpha1.ProxySiteStatus;
import dev.portico.operator.api.ProxySiteResource;
import dev.portico.operator.testbed.ClusterTest;
import dev.portico.operator.testbed.Install;
import dev.portico.operator.testbed.ShippedOperator;
import dev.portico.operator.testbed.Testbed;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Least privilege, proven on the real API server: the shipped RBAC is exactly enough (the other
 * cluster suites run the operator with it), and each of its rules is needed. Taking any one
 * rule away, or only the write verbs of a rule that has them, makes the operator fail in a way
 * an admin sees without reading its log: it refuses to start naming the refused call, or the
 * ProxySite says which call was refused (Programmed=False, Forbidden) or, when the refused
 * call is the status write itself, a Warning Event does. The one exception is the Events rule,
 * whose loss costs only the Events: the status still says everything.
 *
 * <p>Every rule of deploy/operator/rbac.yaml must have its row in {@link #EXPECTED}, so a new
 * rule comes with the proof that it is needed.
 */
@ClusterTest
@Timeout(600)
class RbacRulesClusterTest {

    private static final Path RBAC = Testbed.repo().resolve("deploy/operator/rbac.yaml");
    private static final String OPERATOR = "system:serviceaccount:portico-system:portico-operator";
    private static final List<String> WRITES = List.of("create", "update", "patch", "delete");

    /** How the operator fails without a rule. */
    enum Failure { START_REFUSED, SITE_FORBIDDEN, EVENT_FORBIDDEN, EVENTS_LOST }

    /** What it costs to take a rule away (key: group/resource, with the names of a named rule). */
    private static final Map<String, Failure> EXPECTED = Map.ofEntries(
            Map.entry("portico.dev/proxysites", Failure.START_REFUSED),
            Map.entry("portico.dev/proxysites/status", Failure.EVENT_FORBIDDEN),
            Map.entry("portico.dev/proxysites/finalizers", Failure.SITE_FORBIDDEN),
            Map.entry("apps/deployments", Failure.START_REFUSED),
            Map.entry("/services", Failure.START_REFUSED),
            Map.entry("/serviceaccounts", Failure.START_REFUSED),
            Map.entry("/secrets", Failure.START_REFUSED),
            Map.entry("policy/poddisruptionbudgets", Failure.START_REFUSED),
            Map.entry("networking.k8s.io/networkpolicies", Failure.START_REFUSED),
            Map.entry("/pods", Failure.START_REFUSED),
            Map.entry("discovery.k8s.io/endpointslices", Failure.START_REFUSED),
            Map.entry("/events", Failure.EVENTS_LOST),
            Map.entry("coordination.k8s.io/leases", Failure.START_REFUSED),
            Map.entry("coordination.k8s.io/leases[portico-operator-lease]", Failure.START_REFUSED));

    private final Testbed testbed = Testbed.shared();
    private final KubernetesClient admin = testbed.admin();
    private final List<String> namespaces = new ArrayList<>();
    private int cases;

    @AfterEach
    void restore() {
        restoreShipped();
        namespaces.forEach(ns -> admin.namespaces().withName(ns).delete());
    }

    /** As deploy/ installs it, and by the same field manager (kubectl), so later applies meet no conflict. */
    private void restoreShipped() {
        testbed.kubectl("apply", "--server-side", "--force-conflicts", "-f", RBAC.toString()).requireSuccess();
    }

    @Test
    void everyRuleIsNeededAndItsLossIsReported() throws Exception {
        Install.ensure(testbed);
        ClusterRole clusterRole = shipped(ClusterRole.class);
        Role role = shipped(Role.class);
        assertThat(clusterRole.getRules().stream().map(RbacRulesClusterTest::key).toList())
                .as("every ClusterRole rule has its row in EXPECTED").allMatch(EXPECTED::containsKey);
        assertThat(role.getRules().stream().map(RbacRulesClusterTest::key).toList())
                .as("every leader-election Role rule has its row in EXPECTED").allMatch(EXPECTED::containsKey);

        for (int i = 0; i < clusterRole.getRules().size(); i++) {
            PolicyRule rule = clusterRole.getRules().get(i);
            int index = i;
            withClusterRole(clusterRole, rules -> without(rules, index, null), rule,
                    () -> expect(EXPECTED.get(key(rule)), rule));
            List<String> writes = rule.getVerbs().stream().filter(WRITES::contains).toList();
            if (!writes.isEmpty() && writes.size() < rule.getVerbs().size() && !rule.getResources().get(0).contains("/")) {
                // Reading alone is not enough either: the site says which write was refused.
                withClusterRole(clusterRole, rules -> without(rules, index, writes), rule,
                        () -> expect(Failure.SITE_FORBIDDEN, rule));
            }
        }
        for (int i = 0; i < role.getRules().size(); i++) {
            PolicyRule rule = role.getRules().get(i);
            Role trimmed = new io.fabric8.kubernetes.api.model.rbac.RoleBuilder(role)
                    .withRules(without(role.getRules(), i, null)).build();
            admin.rbac().roles().resource(trimmed).forceConflicts().serverSideApply();
            awaitAllowed(rule, false);
            expect(EXPECTED.get(key(rule)), rule);
            restoreShipped();
            awaitAllowed(rule, true);
        }
        assertThat(cases).isGreaterThan(clusterRole.getRules().size());
    }

    private void withClusterRole(ClusterRole shipped, UnaryOperator<List<PolicyRule>> trim, PolicyRule rule,
            ThrowingRunnable check) throws Exception {
        ClusterRole trimmed = new io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder(shipped)
                .withRules(trim.apply(shipped.getRules())).build();
        admin.rbac().clusterRoles().resource(trimmed).forceConflicts().serverSideApply();
        awaitAllowed(rule, false);
        try {
            check.run();
        } finally {
            restoreShipped();
            awaitAllowed(rule, true);
        }
    }

    /** Starts the operator as shipped but for the missing rule and checks it fails as {@code failure} says. */
    private void expect(Failure failure, PolicyRule rule) throws Exception {
        cases++;
        String what = key(rule) + " " + rule.getVerbs();
        // The word the refusal must name: the resource, or for a subresource the subresource
        // ("cannot set blockOwnerDeletion ... can't set finalizers on" names no user).
        String[] parts = rule.getResources().get(0).split("/");
        String resource = parts[parts.length - 1];
        if (failure == Failure.START_REFUSED) {
            CompletableFuture<ShippedOperator> start = CompletableFuture.supplyAsync(() -> ShippedOperator.start(testbed));
            try {
                ShippedOperator started = start.get(3, TimeUnit.MINUTES);
                started.close();
                fail("without " + what + " the operator started");
            } catch (java.util.concurrent.ExecutionException refused) {
                String messages = messages(refused.getCause());
                // The API server's "forbidden", or JOSDK's own check of the Lease rights.
                assertThat(messages).as(what).containsPattern("(?i)forbidden|no permission")
                        .contains(resource.replaceAll("s$", ""));
            }
            return;
        }
        String ns = "rbac-" + cases;
        try (ShippedOperator operator = ShippedOperator.start(testbed)) {
            admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
                    .create();
            namespaces.add(ns);
            admin.services().inNamespace(ns).resource(new ServiceBuilder().withNewMetadata().withName("app").endMetadata()
                    .withNewSpec().addNewPort().withPort(8000).endPort().endSpec().build()).create();
            String yaml = ClusterStandIn.site(ns, "site");
            if (failure == Failure.EVENTS_LOST) {
                // Refused for a reason only the status and an Event can tell: a "certificate" of the wrong type.
                admin.secrets().inNamespace(ns).resource(new SecretBuilder().withNewMetadata().withName("opaque-tls")
                        .endMetadata().withType("Opaque").addToData("tls.crt", "eA==").build()).create();
                yaml += "  tls: {certificates: [{secretName: opaque-tls}]}\n";
            }
            ProxySiteResource site = new ProxySiteResource();
            site.setMetadata(new ObjectMetaBuilder().withName("site").withNamespace(ns).build());
            site.setSpec(ProxySiteLoader.parse(yaml).spec());
            admin.resources(ProxySiteResource.class).inNamespace(ns).resource(site).create();
            switch (failure) {
                case SITE_FORBIDDEN -> {
                    ProxySiteStatus status = await().atMost(Duration.ofSeconds(60))
                            .until(() -> status(ns), s -> "Forbidden".equals(ClusterStandIn.condition(s, "Programmed").reason()));
                    assertThat(ClusterStandIn.condition(status, "Programmed").message()).as(what)
                            .contains("forbidden").contains(resource);
                }
                case EVENT_FORBIDDEN -> {
                    await(what).atMost(Duration.ofSeconds(60)).until(() -> admin.v1().events().inNamespace(ns)
                            .withField("involvedObject.name", "site").list().getItems().stream()
                            .anyMatch(e -> "Forbidden".equals(e.getReason()) && e.getMessage().contains(resource)));
                    assertThat(status(ns)).as("nothing could be written to the status").isNull();
                }
                case EVENTS_LOST -> {
                    // The status still says what the Event would have.
                    await(what).atMost(Duration.ofSeconds(60)).until(() -> status(ns),
                            s -> "InvalidSecret".equals(ClusterStandIn.condition(s, "ResolvedRefs").reason()));
                    assertThat(admin.v1().events().inNamespace(ns).list().getItems())
                            .noneMatch(e -> "portico.dev/operator".equals(e.getReportingComponent()));
                }
                default -> throw new IllegalStateException(failure.name());
            }
        }
    }

    private ProxySiteStatus status(String ns) {
        return Optional.ofNullable(admin.resources(ProxySiteResource.class).inNamespace(ns).withName("site").get())
                .map(ProxySiteResource::getStatus).orElse(null);
    }

    /** Waits until the operator's account is (or is no longer) allowed the rule's first verb. */
    private void awaitAllowed(PolicyRule rule, boolean allowed) {
        String[] resource = rule.getResources().get(0).split("/", 2);
        String name = rule.getResourceNames() == null || rule.getResourceNames().isEmpty() ? null
                : rule.getResourceNames().get(0);
        await().atMost(Duration.ofSeconds(20)).until(() -> admin.authorization().v1().subjectAccessReview()
                .create(new SubjectAccessReviewBuilder().withNewSpec().withUser(OPERATOR)
                        .addToGroups("system:serviceaccounts", "system:serviceaccounts:portico-system", "system:authenticated")
                        .withNewResourceAttributes()
                            .withGroup(rule.getApiGroups().get(0)).withResource(resource[0])
                            .withSubresource(resource.length > 1 ? resource[1] : null)
                            .withVerb(rule.getVerbs().get(rule.getVerbs().size() - 1))
                            .withNamespace(ShippedOperator.NAMESPACE).withName(name)
                        .endResourceAttributes().endSpec().build())
                .getStatus().getAllowed() == allowed);
    }

    /** The rules but the one at {@code index}, or but its {@code verbs} only. */
    private static List<PolicyRule> without(List<PolicyRule> rules, int index, List<String> verbs) {
        List<PolicyRule> kept = new ArrayList<>();
        for (int i = 0; i < rules.size(); i++) {
            PolicyRule rule = rules.get(i);
            if (i != index) {
                kept.add(rule);
            } else if (verbs != null) {
                kept.add(new io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder(rule)
                        .withVerbs(rule.getVerbs().stream().filter(v -> !verbs.contains(v)).toList()).build());
            }
        }
        return kept;
    }

    private static String key(PolicyRule rule) {
        String names = rule.getResourceNames() == null || rule.getResourceNames().isEmpty() ? ""
                : rule.getResourceNames().toString();
        return rule.getApiGroups().get(0) + "/" + rule.getResources().get(0) + names;
    }

    private <T extends HasMetadata> T shipped(Class<T> kind) throws Exception {
        try (InputStream in = Files.newInputStream(RBAC)) {
            return admin.load(in).items().stream().filter(kind::isInstance).map(kind::cast).findFirst().orElseThrow();
        }
    }

    private static String messages(Throwable failure) {
        StringBuilder all = new StringBuilder();
        for (Throwable t = failure; t != null; t = t.getCause()) {
            all.append(t.getMessage()).append('\n');
        }
        return all.toString();
    }

    private interface ThrowingRunnable {
        void run() throws Exception;
    }
}
