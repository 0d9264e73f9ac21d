package dev.portico.runtime.testing;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One header line as it appeared on the wire. Kept as an ordered list of these (rather than a map) so tests can see
 * duplicates, original spelling and order, which is exactly what a proxy may get wrong.
 */
public record HeaderField(String name, String value) {

    public HeaderField {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, "value");
    }

    /** The first value of {@code name} (case-insensitive), or {@code null}. */
    static String first(List<HeaderField> fields, String name) {
        return fields.stream()
                .filter(f -> f.name().equalsIgnoreCase(name))
                .map(HeaderField::value)
                .findFirst()
                .orElse(null);
    }

    /** Every value of {@code name} (case-insensitive), in wire order. */
    static List<String> all(List<HeaderField> fields, String name) {
        return fields.stream()
                .filter(f -> f.name().equalsIgnoreCase(name))
                .map(HeaderField::value)
                .toList();
    }

    static Optional<HeaderField> find(List<HeaderField> fields, String name) {
        return fields.stream().filter(f -> f.name().equalsIgnoreCase(name)).findFirst();
    }

    @Override
    public String toString() {
        return name + ": " + value;
    }
}
