package dev.portico.runtime.headers;

import dev.portico.crds.v1alpha1.SecurityPreset;
import dev.portico.crds.v1alpha1.Tls;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The response headers each {@link SecurityPreset} stands for, as API.md lists them. */
public final class SecurityPresets {

    static final String HSTS = "Strict-Transport-Security";
    static final String DEFAULT_HSTS = "max-age=63072000; includeSubDomains";

    private SecurityPresets() {}

    /**
     * Appends the preset (and the site's HSTS, which TLS sites send even without a preset)
     * to {@code explicit}, yielding to every header {@code explicit} already names.
     */
    public static HeaderRules withPreset(HeaderRules explicit, SecurityPreset preset, Tls tls) {
        Map<String, String> sets = new LinkedHashMap<>();
        String hsts = tls != null && tls.hsts() != null ? hstsValue(tls.hsts()) : null;
        if (preset == SecurityPreset.STRICT) {
            sets.put(HSTS, hsts != null ? hsts : DEFAULT_HSTS);
            sets.put("X-Content-Type-Options", "nosniff");
            sets.put("X-Frame-Options", "DENY");
            sets.put("Referrer-Policy", "strict-origin-when-cross-origin");
            sets.put("Permissions-Policy", "camera=(), microphone=(), geolocation=()");
            return explicit.thenDefaults(sets, Set.of(HSTS), List.of("Server"));
        }
        if (hsts != null) {
            sets.put(HSTS, hsts);
        }
        return sets.isEmpty() ? explicit : explicit.thenDefaults(sets, Set.of(HSTS), List.of());
    }

    static String hstsValue(Tls.Hsts hsts) {
        StringBuilder value = new StringBuilder("max-age=").append(hsts.maxAge() == null ? 63072000 : hsts.maxAge());
        if (Boolean.TRUE.equals(hsts.includeSubDomains())) {
            value.append("; includeSubDomains");
        }
        if (Boolean.TRUE.equals(hsts.preload())) {
            value.append("; preload");
        }
        return value.toString();
    }
}
