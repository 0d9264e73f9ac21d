package dev.portico.crds;

import dev.portico.crds.validation.Violation;
import java.util.List;
import java.util.stream.Collectors;

/** A ProxySite that cannot be served, with every reason at once so a user fixes them in one pass. */
public final class InvalidProxySiteException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final List<Violation> violations;

    public InvalidProxySiteException(List<Violation> violations) {
        super(describe(violations));
        this.violations = List.copyOf(violations);
    }

    public List<Violation> violations() {
        return violations;
    }

    private static String describe(List<Violation> violations) {
        return violations.stream()
                .map(Violation::toString)
                .collect(Collectors.joining("\n", "invalid ProxySite:\n", ""));
    }
}
