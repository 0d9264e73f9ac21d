package dev.portico.operator.testbed;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import java.util.concurrent.ThreadLocalRandom;

/** A namespace of one test, named uniquely so tests never see each other's objects; deleted on close. */
public record TestNamespace(Testbed testbed, String name) implements AutoCloseable {

    public static TestNamespace create(Testbed testbed, String prefix) {
        String name = prefix + "-" + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36 * 36 * 36), 36);
        testbed.admin().namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata()
                .build()).create();
        return new TestNamespace(testbed, name);
    }

    @Override
    public void close() {
        testbed.admin().namespaces().withName(name).delete();
    }
}
