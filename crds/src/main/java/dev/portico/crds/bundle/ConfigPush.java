package dev.portico.crds.bundle;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Collections;
import java.util.Iterator;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The body of {@code PUT /config} on the runtime's admin port: one whole config bundle.
 *
 * <pre>{"revision": 7, "hash": "sha256:…", "files": {"site.yaml": "…", "vera-tls.tls.crt": "…", …}}</pre>
 *
 * @param revision orders bundles: a runtime refuses one older than the one it serves, so a
 *                 delayed push cannot roll a pod back
 * @param hash     {@link BundleFiles#hash} of {@code files}; the runtime checks it
 * @param files    bundle key to content, as in the bundle Secret (without its revision key)
 */
public record ConfigPush(long revision, String hash, SortedMap<String, String> files) {

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    public ConfigPush {
        files = Collections.unmodifiableSortedMap(new TreeMap<>(files));
    }

    /** A push of {@code files} at {@code revision}, hashed here. */
    public static ConfigPush of(long revision, Map<String, String> files) {
        return new ConfigPush(revision, BundleFiles.hash(files), new TreeMap<>(files));
    }

    public byte[] toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("revision", revision);
        root.put("hash", hash);
        ObjectNode fileNode = root.putObject("files");
        files.forEach(fileNode::put);
        try {
            return JSON.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Reads and checks a push body.
     *
     * @throws IllegalArgumentException naming the field that is missing or wrong, or the hash
     *                                  that does not match the files
     */
    public static ConfigPush fromJson(byte[] body) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (JacksonException e) {
            throw new IllegalArgumentException("body: not JSON (" + e.getOriginalMessage() + ")");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("body: must be a JSON object");
        }
        JsonNode revision = root.get("revision");
        if (revision == null || !revision.canConvertToExactIntegral() || !revision.canConvertToLong() || revision.asLong() < 0) {
            throw new IllegalArgumentException("revision: must be a non-negative integer");
        }
        JsonNode hash = root.get("hash");
        if (hash == null || !hash.isTextual()) {
            throw new IllegalArgumentException("hash: is required");
        }
        JsonNode fileNode = root.get("files");
        if (fileNode == null || !fileNode.isObject()) {
            throw new IllegalArgumentException("files: must be an object of file name to content");
        }
        SortedMap<String, String> files = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = fileNode.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> file = it.next();
            if (!file.getValue().isTextual()) {
                throw new IllegalArgumentException("files." + file.getKey() + ": must be a string");
            }
            if (!file.getKey().equals(BundleFiles.SITE_FILE) && !file.getKey().equals(BundleFiles.ACME_CHALLENGES_FILE)
                    && !file.getKey().equals(BundleFiles.ENDPOINTS_FILE)
                    && BundleFiles.secretNameOf(file.getKey()) == null) {
                throw new IllegalArgumentException("files." + file.getKey() + ": unknown file; expected "
                        + BundleFiles.SITE_FILE + ", " + BundleFiles.ACME_CHALLENGES_FILE + ", " + BundleFiles.ENDPOINTS_FILE
                        + ", <secret>.tls.crt, <secret>.tls.key or <secret>.htpasswd");
            }
            if (file.getKey().equals(BundleFiles.ENDPOINTS_FILE)) {
                try {
                    BackendEndpoints.parse(file.getValue().textValue());
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("files." + e.getMessage());
                }
            }
            if (file.getKey().equals(BundleFiles.ACME_CHALLENGES_FILE)) {
                try {
                    AcmeChallengeAnswers.parse(file.getValue().textValue());
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("files." + e.getMessage());
                }
            }
            files.put(file.getKey(), file.getValue().textValue());
        }
        if (!files.containsKey(BundleFiles.SITE_FILE)) {
            throw new IllegalArgumentException("files." + BundleFiles.SITE_FILE + ": is required");
        }
        String actual = BundleFiles.hash(files);
        if (!actual.equals(hash.textValue())) {
            throw new IllegalArgumentException("hash: " + hash.textValue() + " does not match the files (" + actual + ")");
        }
        return new ConfigPush(revision.asLong(), hash.textValue(), files);
    }
}
