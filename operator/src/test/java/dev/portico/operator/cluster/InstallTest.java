package dev.portico.operator.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.operator.testbed.ClusterTest;
import dev.portico.operator.testbed.Install;
import dev.portico.operator.testbed.Testbed;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a cluster admin does first: install with kubectl, read the docs with kubectl explain, apply the examples. */
@ClusterTest
class InstallTest {

    private static final Path EXAMPLES = Testbed.repo().resolve("deploy/examples");
    private static final Pattern NAMESPACE_LINE = Pattern.compile("(?m)^(\\s+namespace:\\s*)(\\S+)");

    @Test
    void deployInstallsWithServerSideApplyAndAgainWithoutChange(Testbed testbed) {
        Testbed.Result first = Install.ensure(testbed);
        assertThat(first.stdout()).contains("customresourcedefinition.apiextensions.k8s.io/proxysites.portico.dev")
                .contains("clusterrole.rbac.authorization.k8s.io/portico-operator")
                .contains("deployment.apps/portico-operator");
        assertThat(Install.established(testbed)).isTrue();

        // GitOps tools apply the same files again and again: a second apply must change nothing.
        String before = testbed.kubectl("get", "crd", Install.CRD, "-o", "jsonpath={.metadata.resourceVersion}")
                .requireSuccess().stdout();
        testbed.kubectl("apply", "--server-side", "-k", "deploy/").requireSuccess();
        String after = testbed.kubectl("get", "crd", Install.CRD, "-o", "jsonpath={.metadata.resourceVersion}")
                .requireSuccess().stdout();
        assertThat(after).isEqualTo(before);
    }

    @Test
    void kubectlExplainPrintsOurDescriptions(Testbed testbed) {
        Install.ensure(testbed);
        Testbed.Result explain = testbed.kubectl("explain", "proxysite.spec.routes.backend");
        assertThat(explain.exitCode()).as(explain.stderr()).isZero();
        assertThat(explain.stdout())
                .contains("Proxy the request to this upstream")
                .contains("service")
                .contains("port");
        Testbed.Result spec = testbed.kubectl("explain", "proxysite.spec").requireSuccess();
        assertThat(spec.stdout()).contains("hosts").contains("routes").contains("tls").contains("proxyClassName");
        Testbed.Result proxyClass = testbed.kubectl("explain", "proxyclass.spec").requireSuccess();
        assertThat(proxyClass.stdout()).contains("jvmOptions").contains("topologySpreadConstraints")
                .contains("Defaults for the spec.service");
    }

    @Test
    void everyExampleIsAdmittedByTheApiServer(Testbed testbed, @TempDir Path copies) throws IOException {
        Install.ensure(testbed);
        List<Path> examples;
        try (Stream<Path> files = Files.list(EXAMPLES)) {
            examples = files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList();
        }
        assertThat(examples).hasSizeGreaterThanOrEqualTo(6);
        for (Path example : examples) {
            // Namespaces of this test's own: the examples' end-to-end tests use the examples'
            // namespaces, and one that ran just before may have left its namespace terminating
            // with its sites (owned by another field manager) still in it.
            String yaml = NAMESPACE_LINE.matcher(Files.readString(example)).replaceAll("$1install-$2");
            Path copy = Files.writeString(copies.resolve(example.getFileName()), yaml);
            for (String namespace : namespaces(yaml)) {
                testbed.admin().namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace)
                        .endMetadata().build()).serverSideApply();
            }
            Testbed.Result result = testbed.kubectl("apply", "--server-side", "--dry-run=server", "-f",
                    copy.toString());
            assertThat(result.exitCode()).as("%s: %s", example.getFileName(), result.stderr()).isZero();
            assertThat(result.stdout()).as(example.getFileName().toString())
                    .containsAnyOf("proxysite.portico.dev/", "proxyclass.portico.dev/")
                    .contains("(server dry run)");
        }
    }

    private static List<String> namespaces(String yaml) {
        Matcher matcher = Pattern.compile("(?m)^\\s+namespace:\\s*(\\S+)").matcher(yaml);
        return matcher.results().map(m -> m.group(1)).distinct().toList();
    }
}
