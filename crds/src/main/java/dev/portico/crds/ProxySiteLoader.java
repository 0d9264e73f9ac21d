package dev.portico.crds;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.portico.crds.v1alpha1.ProxySite;
import dev.portico.crds.validation.ProxySiteValidator;
import dev.portico.crds.validation.Violation;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a ProxySite from the YAML a user keeps in Git and writes it back out. {@code parse}
 * only maps the document; {@code load} also validates it and writes out every default,
 * which is what the runtime and the operator serve.
 */
public final class ProxySiteLoader {

    private static final ObjectMapper YAML = YAMLMapper.builder(YAMLFactory.builder()
                    .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                    .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                    // Else "1.2" (a TLS version) would be written bare and read back as a number.
                    .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
                    .build())
            // A key written twice is a mistake; silently keeping the last one hides it.
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            // Be as strict about types as the API server's schema: no 2.5 replicas, no "8000" ports.
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
            .withCoercionConfig(LogicalType.Integer, config -> config
                    .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.EmptyString, CoercionAction.Fail))
            .withCoercionConfig(LogicalType.Boolean, config -> config
                    .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.EmptyString, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail))
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .build();

    // UnknownFields has reported them all already, with better paths than Jackson's first one.
    private static final ObjectReader SITE_READER =
            YAML.readerFor(ProxySite.class).without(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .build();

    private ProxySiteLoader() {}

    /**
     * Maps YAML onto a ProxySite without validating or defaulting it. Unknown fields are
     * errors except under {@code metadata} and {@code status}, which belong to Kubernetes.
     *
     * @throws InvalidProxySiteException for malformed YAML, unknown fields and wrong types
     */
    public static ProxySite parse(String yaml) {
        List<JsonNode> documents = documents(yaml);
        if (documents.size() > 1) {
            // kubectl takes several documents; a site file is one site, and silently
            // serving the first of several would lose the others.
            throw new InvalidProxySiteException(List.of(new Violation("document", "holds " + documents.size()
                    + " ProxySites; a site file holds one (split the file, one runtime per site)")));
        }
        return parse(documents.isEmpty() ? null : documents.get(0));
    }

    /**
     * Parses every document of a multi-document YAML stream ({@code ---}), as kubectl
     * would apply them; used by {@code validate}.
     *
     * @return one result per non-empty document: the site, or its violations
     */
    public static List<Result> parseAll(String yaml) {
        List<Result> results = new ArrayList<>();
        for (JsonNode document : documents(yaml)) {
            try {
                ProxySite site = parse(document);
                List<Violation> violations = ProxySiteValidator.validate(site);
                results.add(new Result(site, violations));
            } catch (InvalidProxySiteException e) {
                results.add(new Result(null, e.violations()));
            }
        }
        return results;
    }

    /** One document of a YAML stream: its site when it parsed, and every violation found. */
    public record Result(ProxySite site, List<Violation> violations) {
        public boolean valid() {
            return site != null && violations.isEmpty();
        }
    }

    private static List<JsonNode> documents(String yaml) {
        List<JsonNode> documents = new ArrayList<>();
        // One tree per YAML document; not readValues, which would unwrap a top-level list.
        try (JsonParser parser = YAML.createParser(yaml)) {
            while (parser.nextToken() != null) {
                JsonNode document = YAML.readTree(parser);
                if (!isEmpty(document)) {
                    documents.add(document);
                }
            }
        } catch (JacksonException e) {
            throw new InvalidProxySiteException(List.of(ParseProblems.malformed(e)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return documents;
    }

    private static ProxySite parse(JsonNode document) {
        if (isEmpty(document)) {
            throw new InvalidProxySiteException(List.of(ParseProblems.emptyDocument()));
        }
        List<Violation> violations = new ArrayList<>();
        UnknownFields.find(document, ProxySite.class, violations);
        ProxySite site = null;
        try {
            site = SITE_READER.treeToValue(document, ProxySite.class);
        } catch (JacksonException e) {
            violations.add(ParseProblems.mismatch(e, document));
        }
        if (!violations.isEmpty()) {
            throw new InvalidProxySiteException(violations);
        }
        return site;
    }

    /** @throws UncheckedIOException when the file cannot be read */
    public static ProxySite parse(Path file) {
        return parse(read(file));
    }

    /**
     * Parses, validates and normalises: the result has every default written out.
     *
     * @throws InvalidProxySiteException with all violations
     */
    public static ProxySite load(String yaml) {
        ProxySite site = parse(yaml);
        List<Violation> violations = ProxySiteValidator.validate(site);
        if (!violations.isEmpty()) {
            throw new InvalidProxySiteException(violations);
        }
        return new ProxySite(site.apiVersion(), site.kind(), site.metadata(), ProxySiteDefaults.normalise(site.spec()));
    }

    /** @throws UncheckedIOException when the file cannot be read */
    public static ProxySite load(Path file) {
        return load(read(file));
    }

    /** YAML with fields in declaration order and header maps sorted, so equal sites give equal text. */
    public static String toYaml(ProxySite site) {
        return write(YAML, site);
    }

    /** Compact JSON with the same stable order as {@link #toYaml}. */
    public static String toJson(ProxySite site) {
        return write(JSON, site);
    }

    private static String write(ObjectMapper mapper, ProxySite site) {
        try {
            return mapper.writeValueAsString(site);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a ProxySite is always serialisable", e);
        }
    }

    // A bare "---" reads as an empty string, a lone "~" as null, a file of comments as nothing.
    private static boolean isEmpty(JsonNode document) {
        return document == null
                || document.isMissingNode()
                || document.isNull()
                || (document.isTextual() && document.asText().isEmpty());
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
