package dev.portico.crds;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import dev.portico.crds.validation.Violation;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/** Says what Jackson's exceptions mean for someone editing a ProxySite file. */
final class ParseProblems {

    static final String DOCUMENT = "document";

    private ParseProblems() {}

    static Violation emptyDocument() {
        return new Violation(DOCUMENT, "is empty (expected a ProxySite)");
    }

    /** The text is not YAML at all, or repeats a key. */
    static Violation malformed(JacksonException e) {
        if (e instanceof StreamReadException read
                && read.getOriginalMessage().startsWith("Duplicate field")
                && read.getProcessor() != null) {
            String path = JsonPaths.of(read.getProcessor().getParsingContext());
            return new Violation(path.isEmpty() ? DOCUMENT : path, "appears twice; keep one");
        }
        if (e.getCause() instanceof MarkedYAMLException yaml && yaml.getProblemMark() != null) {
            // SnakeYAML's own mark points at the offending character; Jackson's at its last token.
            return notYaml(yaml.getProblem(), yaml.getProblemMark().getLine() + 1, yaml.getProblemMark().getColumn() + 1);
        }
        JsonLocation where = e.getLocation();
        return notYaml(e.getOriginalMessage(), where.getLineNr(), where.getColumnNr());
    }

    private static Violation notYaml(String problem, int line, int column) {
        return new Violation(DOCUMENT, "is not valid YAML: " + problem + " (line " + line + ", column " + column + ")");
    }

    /** Valid YAML whose values do not fit the API's types, e.g. a list where a string belongs. */
    static Violation mismatch(JacksonException e, JsonNode document) {
        if (!(e instanceof JsonMappingException mapping)) {
            return malformed(e);
        }
        List<JsonMappingException.Reference> references = mapping.getPath();
        String path = JsonPaths.of(references);
        JsonNode found = nodeAt(document, references);
        String message;
        if (e.getCause() instanceof InputCoercionException) {
            message = "is too large a number, not " + describe(found);
        } else if (e instanceof MismatchedInputException mismatched && mismatched.getTargetType() != null) {
            message = expected(mismatched.getTargetType()) + ", not " + describe(found);
        } else {
            message = "cannot be read: " + mapping.getOriginalMessage();
        }
        return new Violation(path.isEmpty() ? DOCUMENT : path, message);
    }

    private static String expected(Class<?> type) {
        if (type.isEnum()) {
            return "must be one of " + Arrays.stream(type.getEnumConstants())
                    .map(constant -> quoteIfNumeric(jsonName((Enum<?>) constant)))
                    .collect(Collectors.joining(", "));
        }
        if (type == Integer.class || type == Long.class || type == int.class || type == long.class) {
            return "must be a whole number";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "must be true or false";
        }
        if (type == String.class) {
            return "must be text";
        }
        if (Collection.class.isAssignableFrom(type)) {
            return "must be a list";
        }
        if (Map.class.isAssignableFrom(type)) {
            return "must be a map of names to values";
        }
        return "must be an object";
    }

    // "1.2" must be quoted in YAML, else it is the number 1.2; the message shows how to write it.
    private static String quoteIfNumeric(String name) {
        return name.matches("[0-9.]+") ? "\"" + name + "\"" : name;
    }

    private static String jsonName(Enum<?> constant) {
        try {
            JsonProperty property = constant.getDeclaringClass().getField(constant.name()).getAnnotation(JsonProperty.class);
            return property == null ? constant.name() : property.value();
        } catch (NoSuchFieldException e) {
            throw new IllegalStateException("an enum constant is a field of its class", e);
        }
    }

    private static JsonNode nodeAt(JsonNode document, List<JsonMappingException.Reference> references) {
        JsonNode node = document;
        for (JsonMappingException.Reference reference : references) {
            node = reference.getIndex() >= 0 ? node.path(reference.getIndex()) : node.path(reference.getFieldName());
        }
        return node;
    }

    private static String describe(JsonNode node) {
        if (node.isTextual()) {
            return "\"" + node.asText() + "\"";
        }
        if (node.isNumber()) {
            return "the number " + node.asText();
        }
        if (node.isBoolean()) {
            return node.asText();
        }
        if (node.isArray()) {
            return "a list";
        }
        if (node.isObject()) {
            return "an object";
        }
        return "null";
    }
}
