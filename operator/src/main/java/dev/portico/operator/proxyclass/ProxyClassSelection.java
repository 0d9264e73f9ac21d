package dev.portico.operator.proxyclass;

import dev.portico.crds.validation.Violation;
import dev.portico.operator.api.ProxyClassResource;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Which ProxyClass a site runs with: the one it names, else the default one. Pure: given the
 * site's {@code spec.proxyClassName} and the classes the cache holds.
 *
 * <p>Two classes marked default are an error for the sites that rely on the default, not a
 * choice the operator makes for the admin: either would roll every such site's pods. As
 * with IngressClass, the admin removes one of the annotations.
 */
public sealed interface ProxyClassSelection {

    String PATH = "spec.proxyClassName";

    /** The site runs with this class. */
    record Selected(ProxyClassResource proxyClass) implements ProxyClassSelection {}

    /** No name and no default class: the operator's defaults. */
    record None() implements ProxyClassSelection {}

    /** The site cannot be resolved: why, naming the field. */
    record Unresolved(String reason, Violation problem) implements ProxyClassSelection {}

    static ProxyClassSelection of(String proxyClassName, Collection<ProxyClassResource> classes) {
        if (proxyClassName != null) {
            return classes.stream()
                    .filter(c -> proxyClassName.equals(c.getMetadata().getName()))
                    .findFirst()
                    .<ProxyClassSelection>map(Selected::new)
                    .orElseGet(() -> new Unresolved("ProxyClassNotFound",
                            new Violation(PATH, "ProxyClass \"" + proxyClassName + "\" not found")));
        }
        List<String> defaults = classes.stream()
                .filter(ProxyClassResource::isDefault)
                .map(c -> c.getMetadata().getName())
                .sorted(Comparator.naturalOrder())
                .toList();
        if (defaults.size() > 1) {
            return new Unresolved("AmbiguousDefaultProxyClass", new Violation(PATH,
                    "is not set, and " + defaults.size() + " ProxyClasses are annotated "
                            + ProxyClassResource.DEFAULT_ANNOTATION + ": \"true\" (" + String.join(", ", defaults)
                            + "); set spec.proxyClassName, or leave one class marked default"));
        }
        return classes.stream()
                .filter(ProxyClassResource::isDefault)
                .findFirst()
                .<ProxyClassSelection>map(Selected::new)
                .orElseGet(None::new);
    }

    /** The selected class, if one is. */
    default Optional<ProxyClassResource> selected() {
        return this instanceof Selected selected ? Optional.of(selected.proxyClass()) : Optional.empty();
    }
}
