package dev.portico.operator.testbed;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import java.time.Duration;

/** {@code kubectl apply --server-side -k deploy/}, once per test JVM, as a cluster admin installs Portico. */
public final class Install {

    public static final String CRD = "proxysites.portico.dev";
    public static final String PROXY_CLASS_CRD = "proxyclasses.portico.dev";
    private static Testbed.Result installed;

    private Install() {}

    /** What the first apply printed; later calls apply nothing. */
    public static synchronized Testbed.Result ensure(Testbed testbed) {
        if (installed != null) {
            return installed;
        }
        Testbed.Result result = testbed.kubectl("apply", "--server-side", "-k", "deploy/").requireSuccess();
        {
            await().atMost(Duration.ofSeconds(30)).until(() -> established(testbed));
            // The operator's account must exist before a TokenRequest can be made for it.
            await().atMost(Duration.ofSeconds(30)).until(() -> testbed.admin().serviceAccounts()
                    .inNamespace(ShippedOperator.NAMESPACE).withName(ShippedOperator.SERVICE_ACCOUNT).get() != null);
            installed = result;
        }
        return result;
    }

    public static boolean established(Testbed testbed) {
        return established(testbed, CRD) && established(testbed, PROXY_CLASS_CRD);
    }

    private static boolean established(Testbed testbed, String name) {
        CustomResourceDefinition crd = testbed.admin().apiextensions().v1().customResourceDefinitions().withName(name).get();
        return crd != null && crd.getStatus() != null && crd.getStatus().getConditions().stream()
                .anyMatch(c -> c.getType().equals("Established") && c.getStatus().equals("True"));
    }
}
