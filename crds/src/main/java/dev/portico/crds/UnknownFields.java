package dev.portico.crds;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.JsonNode;
import dev.portico.crds.validation.Violation;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Finds every field of a document that the API types do not have. Jackson stops at the
 * first one, and for records only after the whole object is read, so a typo would hide
 * behind any other error; walking the tree reports them all, each with its exact path.
 * Types marked {@code @JsonIgnoreProperties} (metadata, status) are honoured.
 */
final class UnknownFields {

    private UnknownFields() {}

    static void find(JsonNode document, Class<? extends Record> type, List<Violation> into) {
        walk(document, type, "", into);
    }

    private static void walk(JsonNode node, Type type, String path, List<Violation> into) {
        Class<?> raw = rawClass(type);
        if (node.isObject() && raw.isRecord()) {
            record(node, raw, path, into);
        } else if (node.isArray() && List.class.isAssignableFrom(raw) && type instanceof ParameterizedType list) {
            Type element = list.getActualTypeArguments()[0];
            for (int i = 0; i < node.size(); i++) {
                walk(node.get(i), element, path + "[" + i + "]", into);
            }
        }
    }

    private static void record(JsonNode node, Class<?> type, String path, List<Violation> into) {
        JsonIgnoreProperties ignore = type.getAnnotation(JsonIgnoreProperties.class);
        if (ignore != null && ignore.ignoreUnknown()) {
            return;
        }
        Set<String> ignored = ignore == null ? Set.of() : Set.of(ignore.value());
        Map<String, RecordComponent> components = Arrays.stream(type.getRecordComponents())
                .collect(Collectors.toMap(RecordComponent::getName, Function.identity()));
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            String name = field.getKey();
            String fieldPath = JsonPaths.field(path, name);
            RecordComponent component = components.get(name);
            if (component != null) {
                walk(field.getValue(), component.getGenericType(), fieldPath, into);
            } else if (!ignored.contains(name)) {
                into.add(new Violation(fieldPath, "unknown field"));
            }
        }
    }

    private static Class<?> rawClass(Type type) {
        if (type instanceof ParameterizedType parameterized) {
            return (Class<?>) parameterized.getRawType();
        }
        return type instanceof Class<?> c ? c : Object.class;
    }
}
