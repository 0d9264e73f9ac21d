package dev.portico.runtime.routing;

/** The one question routing asks of request headers, so the router stays protocol-free. */
@FunctionalInterface
public interface RequestHeaderLookup {

    /** Whether some value of header {@code name} (case-insensitive) equals {@code value} exactly. */
    boolean hasValue(String name, String value);

    RequestHeaderLookup NONE = (name, value) -> false;
}
