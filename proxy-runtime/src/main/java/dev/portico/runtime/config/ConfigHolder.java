package dev.portico.runtime.config;

import java.util.Objects;

/**
 * The one mutable reference of the data plane: the config generation now serving.
 * Requests read it once when they start; a reload replaces it in one volatile write.
 */
public final class ConfigHolder {

    private volatile SiteConfig current;

    public ConfigHolder(SiteConfig initial) {
        this.current = Objects.requireNonNull(initial);
    }

    public SiteConfig current() {
        return current;
    }

    public void swap(SiteConfig next) {
        this.current = Objects.requireNonNull(next);
    }
}
