package dev.portico.operator.testbed;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A test class that runs against the real control plane ({@link Testbed}): tagged
 * {@code cluster}, so {@code ./mvnw verify -DexcludedGroups=cluster} runs the fast tests alone.
 * Test methods and constructors may take a {@link Testbed} parameter.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Tag("cluster")
@ExtendWith(TestbedExtension.class)
public @interface ClusterTest {}
