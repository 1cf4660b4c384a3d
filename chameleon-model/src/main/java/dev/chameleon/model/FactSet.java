package dev.chameleon.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * An immutable tree of facts about one machine, as produced by the sensors.
 *
 * <p>Shape: a map from the top-level keys of DESIGN.md ({@code platform}, {@code cpu},
 * {@code memory}, {@code gpus}, {@code nics}, {@code disks}, {@code os}, {@code kernel},
 * {@code security}, {@code apps}, {@code meta}) to plain values only: {@link String},
 * {@link Long}, {@link Double}, {@link Boolean}, {@link List} and {@link Map} with string keys.
 * The tree maps 1:1 to JSON and to CEL values.
 *
 * <p>Absent, failed and unknown stay distinct: an absent fact has no key; a failed sensor has
 * no top-level key and reports {@code status: failed} under {@code meta.sensors.<name>};
 * "unknown" is only ever a value where the fact's documented enum says so
 * ({@code platform.hypervisor: unknown} means "a VM of a kind nothing names").
 *
 * <p>Provenance maps a dotted fact path ({@code cpu.vendor}) to where the value came from
 * (a file under the root, or a command).
 */
public final class FactSet {
    private final Map<String, Object> tree;
    private final Map<String, String> provenance;

    private FactSet(Map<String, Object> tree, Map<String, String> provenance) {
        this.tree = tree;
        this.provenance = provenance;
    }

    /** Builds a fact set from a tree; values are deep-copied and checked to be plain. */
    public static FactSet of(Map<String, ?> tree, Map<String, String> provenance) {
        @SuppressWarnings("unchecked")
        Map<String, Object> copy = (Map<String, Object>) FactValues.deepCopy(tree, "");
        return new FactSet(copy, Collections.unmodifiableMap(new LinkedHashMap<>(provenance)));
    }

    public static FactSet empty() {
        return of(Map.of(), Map.of());
    }

    /** The whole tree, unmodifiable; iteration order is the sensors' order. */
    public Map<String, Object> asMap() {
        return tree;
    }

    /** Where each value came from, keyed by dotted path; unmodifiable. */
    public Map<String, String> provenance() {
        return provenance;
    }

    /**
     * The value at a dotted path ({@code platform.hypervisor}, {@code disks.0.name}); list
     * elements are addressed by index. Empty when any step is absent.
     */
    public Optional<Object> get(String dottedPath) {
        Object cur = tree;
        for (String part : dottedPath.split("\\.")) {
            if (cur instanceof Map<?, ?> m) {
                cur = m.get(part);
            } else if (cur instanceof List<?> l) {
                try {
                    int i = Integer.parseInt(part);
                    cur = i >= 0 && i < l.size() ? l.get(i) : null;
                } catch (NumberFormatException e) {
                    return Optional.empty();
                }
            } else {
                return Optional.empty();
            }
            if (cur == null) {
                return Optional.empty();
            }
        }
        return Optional.of(cur);
    }

    /** The string at a path, or empty when absent or not a string. */
    public Optional<String> getString(String dottedPath) {
        return get(dottedPath).filter(String.class::isInstance).map(String.class::cast);
    }

    /** The list at a path, or an empty list. */
    public List<Object> getList(String dottedPath) {
        return get(dottedPath).filter(List.class::isInstance).map(l -> {
            @SuppressWarnings("unchecked")
            List<Object> list = (List<Object>) l;
            return list;
        }).orElse(List.of());
    }

    /** A new fact set with the given top-level key replaced. */
    public FactSet with(String key, Object value) {
        Map<String, Object> next = new LinkedHashMap<>(tree);
        next.put(key, value);
        return of(next, provenance);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FactSet f && f.tree.equals(tree) && f.provenance.equals(provenance);
    }

    @Override
    public int hashCode() {
        return Objects.hash(tree, provenance);
    }

    @Override
    public String toString() {
        return "FactSet" + tree;
    }

    /** Paths of every leaf, for tables. */
    public List<Map.Entry<String, Object>> leaves() {
        List<Map.Entry<String, Object>> out = new ArrayList<>();
        FactValues.flatten("", tree, out);
        return out;
    }
}
