package dev.portico.crds;

import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.databind.JsonMappingException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;

/**
 * Turns Jackson's idea of where it is into the notation of validation messages
 * ({@code spec.routes[0].match.path.type}), so that parse errors and validation errors
 * point at a field the same way.
 */
final class JsonPaths {

    private JsonPaths() {}

    static String of(List<JsonMappingException.Reference> references) {
        StringBuilder path = new StringBuilder();
        for (JsonMappingException.Reference reference : references) {
            if (reference.getIndex() >= 0) {
                path.append('[').append(reference.getIndex()).append(']');
            } else if (reference.getFrom() instanceof Map) {
                path.append("[\"").append(reference.getFieldName()).append("\"]");
            } else {
                appendField(path, reference.getFieldName());
            }
        }
        return path.toString();
    }

    /** The path of the value a parser stands on; map keys come out as fields, as the stream cannot tell. */
    static String of(JsonStreamContext context) {
        Deque<String> parts = new ArrayDeque<>();
        for (JsonStreamContext c = context; c != null && !c.inRoot(); c = c.getParent()) {
            if (c.inArray()) {
                parts.push("[" + c.getCurrentIndex() + "]");
            } else if (c.getCurrentName() != null) {
                parts.push(c.getCurrentName());
            }
        }
        StringBuilder path = new StringBuilder();
        for (String part : parts) {
            if (part.startsWith("[")) {
                path.append(part);
            } else {
                appendField(path, part);
            }
        }
        return path.toString();
    }

    /** {@code path.name}, or {@code path["name"]} for a name that is blank or not a plain word. */
    static String field(String path, String name) {
        StringBuilder result = new StringBuilder(path);
        appendField(result, name);
        return result.toString();
    }

    private static void appendField(StringBuilder path, String name) {
        if (name == null || !name.matches("[A-Za-z0-9_$-]+")) {
            // An empty or odd key would otherwise give a blank or unreadable path.
            path.append("[\"").append(name).append("\"]");
            return;
        }
        if (path.length() > 0) {
            path.append('.');
        }
        path.append(name);
    }
}
