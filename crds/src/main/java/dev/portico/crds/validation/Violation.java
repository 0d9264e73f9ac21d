package dev.portico.crds.validation;

/**
 * One thing wrong with a ProxySite: where ({@code spec.routes[2].backend.port}) and what to
 * do about it ({@code must be 1..65535}).
 */
public record Violation(String path, String message) {

    @Override
    public String toString() {
        return path + ": " + message;
    }
}
