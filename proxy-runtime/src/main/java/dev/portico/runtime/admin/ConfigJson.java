package dev.portico.runtime.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.portico.runtime.config.SiteConfig;

/**
 * What {@code GET /config} (and a push's 200 or 409) says about the config serving: name,
 * generation, revision (null for site files without one) and hash; never key material.
 */
final class ConfigJson {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ConfigJson() {}

    static String of(SiteConfig config) {
        ObjectNode root = JSON.createObjectNode();
        root.put("name", config.name());
        root.put("generation", config.generation());
        if (config.revision() == SiteConfig.NO_REVISION) {
            root.putNull("revision");
        } else {
            root.put("revision", config.revision());
        }
        root.put("hash", config.hash());
        try {
            return JSON.writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of strings and numbers always serialises", e);
        }
    }
}
