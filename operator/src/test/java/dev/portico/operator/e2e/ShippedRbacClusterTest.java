package dev.portico.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portico.crds.ProxySiteLoader;
import dev.portico.crds.v1alpha1.ProxySiteStatus;
import dev.portico.operator.testbed.ClusterTest;
import dev.portico.operator.testbed.Install;
import dev.portico.operator.testbed.StandInPods;
import dev.portico.operator.testbed.Testbed;
import io.fabric8.kubernetes.api.model.Event;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped RBAC on the real API server: the operator's ServiceAccount may do what the
 * operator does and no more, and when a rule is missing (an admin trimmed the ClusterRole,
 * or a new release needs a call an old ClusterRole lacks) the ProxySite says which call was
 * refused, in a condition and an Event, not only in the operator's log.
 */
@ClusterTest
@Timeout(180)
class ShippedRbacClusterTest {

    private static final String OPERATOR = "system:serviceaccount:portico-system:portico-operator";
    private static final Path RBAC = Testbed.repo().resolve("deploy/operator/rbac.yaml");
    private static final String DEPLOYMENT_RULE = "    resources: [\"deployments\"]\n"
            + "    verbs: [\"list\", \"watch\", \"create\", \"patch\"]";

    @TempDir
    Path root;

    @Test
    void theOperatorsAccountMayDoWhatItNeedsAndNoMore(Testbed testbed) {
        Install.ensure(testbed);
        for (String allowed : List.of("watch proxysites.portico.dev", "patch proxysites.portico.dev/status",
                "patch deployments.apps", "create secrets", "list pods", "create events",
                "watch endpointslices.discovery.k8s.io")) {
            assertThat(canI(testbed, allowed)).as(allowed).isTrue();
        }
        for (String refused : List.of("create proxysites.portico.dev", "delete proxysites.portico.dev",
                "create pods", "delete pods", "patch pods/status", "create clusterroles.rbac.authorization.k8s.io",
                "patch customresourcedefinitions.apiextensions.k8s.io", "create serviceaccounts/token",
                "get nodes", "delete deployments.apps", "delete secrets", "update proxysites.portico.dev",
                "create events.events.k8s.io", "get customresourcedefinitions.apiextensions.k8s.io",
                "get endpointslices.discovery.k8s.io", "create endpointslices.discovery.k8s.io",
                "list endpoints")) {
            assertThat(canI(testbed, refused)).as(refused).isFalse();
        }
    }

    @Test
    void aMissingRuleIsReportedOnTheSiteNamingTheRefusedCall(Testbed testbed) throws Exception {
        Install.ensure(testbed);
        String ns = "rbac";
        Path trimmed = root.resolve("rbac-without-deployment-writes.yaml");
        String shipped = Files.readString(RBAC);
        assertThat(shipped).contains(DEPLOYMENT_RULE);
        Files.writeString(trimmed, shipped.replace(DEPLOYMENT_RULE,
                "    resources: [\"deployments\"]\n    verbs: [\"list\", \"watch\"]"));
        try (StandInPods standIns = new StandInPods();
             ClusterStandIn cluster = new ClusterStandIn(testbed, root, pod -> true, standIns)) {
            testbed.kubectl("apply", "--server-side", "--force-conflicts", "-f", trimmed.toString()).requireSuccess();
            await().atMost(Duration.ofSeconds(10)).until(() -> !canI(testbed, "patch deployments.apps"));
            try {
                cluster.apply(ProxySiteLoader.parse(ClusterStandIn.site(ns, "refused")));

                ProxySiteStatus status = await().atMost(Duration.ofSeconds(60)).until(() -> cluster.status(ns, "refused"),
                        s -> ClusterStandIn.condition(s, "Programmed").reason().equals("Forbidden"));
                String message = ClusterStandIn.condition(status, "Programmed").message();
                assertThat(message).contains("deployments").contains("forbidden").contains(OPERATOR)
                        .contains("namespace \"" + ns + "\"");
                List<Event> events = await().atMost(Duration.ofSeconds(30)).until(() -> testbed.admin().v1().events()
                        .inNamespace(ns).withField("involvedObject.name", "refused").list().getItems(),
                        list -> list.stream().anyMatch(e -> "Forbidden".equals(e.getReason())));
                assertThat(events.stream().filter(e -> "Forbidden".equals(e.getReason())).findFirst().orElseThrow()
                        .getMessage()).contains("deployments");
            } finally {
                testbed.kubectl("apply", "--server-side", "--force-conflicts", "-f", RBAC.toString()).requireSuccess();
            }

            // With the rule back, the next change of the site converges.
            await().atMost(Duration.ofSeconds(10)).until(() -> canI(testbed, "patch deployments.apps"));
            cluster.edit(ns, "refused", yaml -> yaml.replace("refused.example.com", "refused.example.org"));
            cluster.awaitProgrammed(ns, "refused");
        }
    }

    /** {@code kubectl auth can-i} as the operator; "verb resource[/subresource]". */
    private static boolean canI(Testbed testbed, String verbAndResource) {
        String[] parts = verbAndResource.split(" ");
        String[] resource = parts[1].split("/");
        Testbed.Result result = testbed.kubectl("auth", "can-i", parts[0], resource[0],
                "--subresource=" + (resource.length > 1 ? resource[1] : ""), "--all-namespaces", "--as", OPERATOR);
        return result.stdout().trim().equals("yes");
    }
}
