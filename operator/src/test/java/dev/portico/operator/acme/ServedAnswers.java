package dev.portico.operator.acme;

import dev.portico.crds.bundle.AcmeChallengeAnswers;
import dev.portico.crds.bundle.BundleFiles;
import dev.portico.runtime.testing.RawResponse;
import dev.portico.runtime.testing.RunningProxy;
import java.nio.file.Files;
import java.time.Instant;
import java.util.List;

/**
 * What the operator's reconciler does with an order's answers, for tests with one runtime and no
 * cluster: write them into the bundle file the runtime reloads, then wait until it serves them.
 */
final class ServedAnswers {

    private ServedAnswers() {}

    static void publish(RunningProxy proxy, String host, List<String> answers) {
        try {
            Files.writeString(proxy.siteFile().resolveSibling(BundleFiles.ACME_CHALLENGES_FILE),
                    AcmeChallengeAnswers.render(answers));
            String token = answers.get(0).substring(0, answers.get(0).indexOf('.'));
            Instant deadline = Instant.now().plusSeconds(10);
            while (true) {
                RawResponse response = proxy.request("GET", host, "/.well-known/acme-challenge/" + token);
                if (response.status() == 200 && response.bodyText().equals(answers.get(0))) {
                    return;
                }
                if (Instant.now().isAfter(deadline)) {
                    throw new AssertionError("the runtime did not take the answers: " + response);
                }
                Thread.sleep(50);
            }
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
