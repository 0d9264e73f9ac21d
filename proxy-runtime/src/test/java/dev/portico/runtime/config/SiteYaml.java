package dev.portico.runtime.config;

import dev.portico.crds.ProxySiteLoader;
import dev.portico.crds.v1alpha1.ProxySite;
import java.util.stream.Collectors;

/** Builds a compiled site from the {@code spec} of a ProxySite, the way the runtime does. */
public final class SiteYaml {

    private SiteYaml() {}

    /** @param spec the body of {@code spec:}, as block YAML starting at column 0 */
    public static ProxySite load(String spec) {
        String indented = spec.lines().map(line -> "  " + line).collect(Collectors.joining("\n"));
        return ProxySiteLoader.load("""
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: test, generation: 7}
                spec:
                """ + indented + "\n");
    }

    public static SiteConfig compile(String spec) {
        return SiteCompiler.compile(load(spec), "sha256:test");
    }
}
