package dev.portico.crds;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.portico.crds.v1alpha1.ProxySite;
import dev.portico.crds.validation.Violation;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Fuzzes {@link ProxySiteLoader#load(String)}: whatever the text, the outcome is a ProxySite
 * or an {@link InvalidProxySiteException} whose violations all say where and what; a site
 * that loads writes out to YAML that loads back to the same site.
 *
 * <p>A normal build replays the seeds under {@code ProxySiteLoaderFuzzTestInputs/<method>/}
 * as regression tests; {@code JAZZER_FUZZ=1} fuzzes (see SECURITY.md, "Fuzzing").
 */
class ProxySiteLoaderFuzzTest {

    private static final YAMLMapper TREE = new YAMLMapper();
    private static final JsonNode FULL_EXAMPLE = readFullExample();

    /** Any text at all: the seeds are real sites (the full example, deploy/examples) and broken ones. */
    @FuzzTest(maxDuration = "5s")
    void anyText(byte[] input) {
        check(new String(input, StandardCharsets.UTF_8));
    }

    /**
     * The full example with a few values replaced, removed or duplicated where the fuzzer
     * chooses: valid YAML of the right shape, so the input gets past the parser into the
     * binding and the validator.
     */
    @FuzzTest(maxDuration = "5s")
    void editedFullExample(FuzzedDataProvider data) {
        JsonNode site = FULL_EXAMPLE.deepCopy();
        int edits = data.consumeInt(1, 4);
        for (int i = 0; i < edits && data.remainingBytes() > 0; i++) {
            edit(site, data);
        }
        String yaml;
        try {
            yaml = TREE.writeValueAsString(site);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        check(yaml);
    }

    private static void check(String yaml) {
        ProxySite site;
        try {
            site = ProxySiteLoader.load(yaml);
        } catch (InvalidProxySiteException e) {
            assertThat(e.violations()).isNotEmpty();
            for (Violation violation : e.violations()) {
                assertThat(violation.path()).as("path of %s", violation).isNotBlank();
                assertThat(violation.message()).as("message of %s", violation).isNotBlank();
            }
            return;
        }
        assertThat(site).isNotNull();
        String written = ProxySiteLoader.toYaml(site);
        assertThat(ProxySiteLoader.load(written)).as("a loaded site read back from\n%s", written).isEqualTo(site);
    }

    private static void edit(JsonNode root, FuzzedDataProvider data) {
        List<JsonNode> containers = new ArrayList<>();
        collectContainers(root, containers);
        JsonNode container = data.pickValue(containers);
        if (container instanceof ObjectNode object) {
            List<String> names = new ArrayList<>();
            object.fieldNames().forEachRemaining(names::add);
            // Either an existing field or a new one with a fuzzed name.
            String name = names.isEmpty() || data.consumeBoolean() ? data.consumeString(16) : data.pickValue(names);
            switch (data.consumeInt(0, 2)) {
                case 0 -> object.remove(name);
                default -> object.set(name, value(data, object.get(name)));
            }
        } else if (container instanceof ArrayNode array) {
            switch (data.consumeInt(0, 2)) {
                case 0 -> {
                    if (!array.isEmpty()) {
                        array.remove(data.consumeInt(0, array.size() - 1));
                    }
                }
                case 1 -> {
                    if (!array.isEmpty()) {
                        array.add(array.get(data.consumeInt(0, array.size() - 1)).deepCopy());
                    }
                }
                default -> array.add(value(data, null));
            }
        }
    }

    private static JsonNode value(FuzzedDataProvider data, JsonNode old) {
        JsonNodeFactory nodes = JsonNodeFactory.instance;
        return switch (data.consumeInt(0, 8)) {
            case 0 -> nodes.nullNode();
            case 1 -> nodes.booleanNode(data.consumeBoolean());
            case 2 -> nodes.numberNode(data.consumeInt());
            case 3 -> nodes.numberNode(data.consumeLong());
            case 4 -> nodes.numberNode(data.consumeDouble());
            case 5 -> nodes.objectNode();
            case 6 -> nodes.arrayNode().add(data.consumeString(32));
            case 7 -> old == null ? nodes.textNode(data.consumeString(32)) : old.deepCopy();
            default -> nodes.textNode(data.consumeString(64));
        };
    }

    private static void collectContainers(JsonNode node, List<JsonNode> into) {
        if (node instanceof ObjectNode object) {
            into.add(object);
            object.properties().forEach(field -> collectContainers(field.getValue(), into));
        } else if (node instanceof ArrayNode array) {
            into.add(array);
            array.forEach(element -> collectContainers(element, into));
        }
    }

    private static JsonNode readFullExample() {
        try (InputStream in = ProxySiteLoaderFuzzTest.class.getResourceAsStream("/full-example.yaml")) {
            return TREE.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
