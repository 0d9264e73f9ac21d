package dev.portico.crds.validation;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Kubernetes' own syntax for annotation and label keys (qualified names) and label values,
 * checked before an object reaches the API server, so that the refusal names the field the
 * user wrote rather than a derived object's.
 */
public final class KubernetesNames {

    /** The name part of a qualified name (after its optional "prefix/"). */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?");
    private static final Pattern LABEL_VALUE = Pattern.compile("([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?");

    private KubernetesNames() {}

    /** What is wrong with {@code key} as a qualified name ([DNS subdomain "/"] name), if anything. */
    public static Optional<String> qualifiedNameProblem(String key) {
        int slash = key.indexOf('/');
        String prefix = slash < 0 ? null : key.substring(0, slash);
        String local = slash < 0 ? key : key.substring(slash + 1);
        if (prefix != null && (prefix.length() > 253 || !HostNames.isDns1123Subdomain(prefix))) {
            return Optional.of("the part before '/' must be a DNS subdomain, e.g. service.beta.kubernetes.io");
        }
        if (!NAME.matcher(local).matches()) {
            return Optional.of("must be a qualified name: [prefix/]name, the name at most 63 letters, digits, "
                    + "'-', '_' or '.', starting and ending with a letter or digit");
        }
        return Optional.empty();
    }

    /** What is wrong with {@code value} as a label value, if anything. */
    public static Optional<String> labelValueProblem(String value) {
        if (value == null) {
            return Optional.of("needs a value (\"\" for an empty one)");
        }
        if (!LABEL_VALUE.matcher(value).matches()) {
            return Optional.of("must be a label value: empty, or at most 63 letters, digits, '-', '_' or '.', "
                    + "starting and ending with a letter or digit");
        }
        return Optional.empty();
    }
}
