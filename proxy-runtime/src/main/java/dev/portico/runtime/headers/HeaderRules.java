package dev.portico.runtime.headers;

import dev.portico.crds.v1alpha1.HeaderModifier;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A compiled list of header edits, applied in order. Route rules, site rules and the
 * security preset are concatenated into one list per route when a config is compiled,
 * so a request pays for one pass and no lookups.
 */
public final class HeaderRules {

    public static final HeaderRules NONE = new HeaderRules(List.of());

    private sealed interface Op {
        AsciiString name();
    }

    private record RemoveOp(AsciiString name) implements Op {}

    private record SetOp(AsciiString name, String value, boolean tlsOnly) implements Op {}

    private record AddOp(AsciiString name, String value) implements Op {}

    private final List<Op> ops;

    private HeaderRules(List<Op> ops) {
        this.ops = List.copyOf(ops);
    }

    /** Remove, then set, then add: the order users of Gateway API filters expect. */
    public static HeaderRules of(HeaderModifier modifier) {
        if (modifier == null) {
            return NONE;
        }
        List<Op> ops = new ArrayList<>();
        if (modifier.remove() != null) {
            modifier.remove().forEach(name -> ops.add(new RemoveOp(AsciiString.of(name))));
        }
        if (modifier.set() != null) {
            modifier.set().forEach((name, value) -> ops.add(new SetOp(AsciiString.of(name), value, false)));
        }
        if (modifier.add() != null) {
            modifier.add().forEach((name, value) -> ops.add(new AddOp(AsciiString.of(name), value)));
        }
        return new HeaderRules(ops);
    }

    /** These rules followed by {@code next}'s. */
    public HeaderRules then(HeaderRules next) {
        if (next.ops.isEmpty()) {
            return this;
        }
        if (ops.isEmpty()) {
            return next;
        }
        List<Op> all = new ArrayList<>(ops);
        all.addAll(next.ops);
        return new HeaderRules(all);
    }

    /**
     * Appends defaults that apply unless these rules already name the header: how a
     * security preset yields to what a route or the site sets explicitly.
     *
     * @param sets     header values to set
     * @param tlsOnly  names among {@code sets} sent on TLS responses only (HSTS)
     * @param removals headers to remove
     */
    public HeaderRules thenDefaults(Map<String, String> sets, Set<String> tlsOnly, List<String> removals) {
        Set<String> named = new HashSet<>();
        ops.forEach(op -> named.add(op.name().toString().toLowerCase(Locale.ROOT)));
        List<Op> all = new ArrayList<>(ops);
        sets.forEach((name, value) -> {
            if (!named.contains(name.toLowerCase(Locale.ROOT))) {
                all.add(new SetOp(AsciiString.of(name), value, tlsOnly.contains(name)));
            }
        });
        removals.forEach(name -> {
            if (!named.contains(name.toLowerCase(Locale.ROOT))) {
                all.add(new RemoveOp(AsciiString.of(name)));
            }
        });
        return new HeaderRules(all);
    }

    /** Every header name these rules set, add or remove, as written. */
    public List<String> names() {
        return ops.stream().map(op -> op.name().toString()).toList();
    }

    /** @param tls whether the exchange arrived over TLS; TLS-only headers (HSTS) need it */
    public void apply(HttpHeaders headers, boolean tls) {
        for (int i = 0, n = ops.size(); i < n; i++) { // indexed: no iterator per response
            Op op = ops.get(i);
            if (op instanceof SetOp set) {
                if (tls || !set.tlsOnly()) {
                    headers.set(set.name(), set.value());
                }
            } else if (op instanceof AddOp add) {
                headers.add(add.name(), add.value());
            } else {
                headers.remove(op.name());
            }
        }
    }

    @Override
    public String toString() {
        return ops.toString();
    }
}
