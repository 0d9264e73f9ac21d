package dev.portico.crds.validation;

import java.util.ArrayList;
import java.util.List;

/** Collects violations so that a user sees everything wrong with a file in one go. */
final class Violations {

    private final List<Violation> list = new ArrayList<>();

    void add(String path, String message) {
        list.add(new Violation(path, message));
    }

    List<Violation> toList() {
        return List.copyOf(list);
    }
}
