package dev.chameleon.policy;

import com.google.common.collect.ImmutableCollection;
import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import dev.cel.common.types.CelType;
import dev.cel.common.types.CelTypeProvider;
import dev.cel.common.types.ListType;
import dev.cel.common.types.MapType;
import dev.cel.common.types.SimpleType;
import dev.cel.common.types.StructType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * The types of the fact tree, as CEL sees them, so that conditions are type-checked when they
 * are compiled: {@code platform.hypervisr} is "undefined field", {@code memory.totalBytes == "x"}
 * is "no matching overload", both at {@code file:line:column}.
 *
 * <p>Source: the data file {@code dev/chameleon/policy/schema/facts.yaml} (documented in
 * {@code docs/policy-reference.md}). Each object in the tree (platform, a disk, ...) becomes a CEL
 * {@link StructType} with known fields; at run time the facts stay plain {@link Map}s, which
 * cel-java's runtime selects fields from, so no protobuf is involved. A field that the fact set
 * lacks is a run-time "key not present" error, reported as the policy's error, never as
 * {@code false}; guard optional facts with {@code has(memory.thp)}.
 *
 * <p>Immutable and thread-safe.
 */
public final class FactSchema implements CelTypeProvider {
    /** Where the standard schema lives on the classpath. */
    public static final String RESOURCE = "/dev/chameleon/policy/schema/facts.yaml";
    private static volatile FactSchema standard;

    private final Map<String, CelType> variables;
    private final Map<String, String> elements;
    private final Map<String, StructType> types;
    private final Map<String, Map<String, String>> fieldText;
    private final Map<String, Set<String>> required;

    private FactSchema(Map<String, CelType> variables, Map<String, String> elements, Map<String, StructType> types,
                       Map<String, Map<String, String>> fieldText, Map<String, Set<String>> required) {
        this.required = required;
        this.variables = variables;
        this.elements = elements;
        this.types = types;
        this.fieldText = fieldText;
    }

    /** The schema shipped with the agent. */
    public static FactSchema standard() {
        FactSchema s = standard;
        if (s == null) {
            try (InputStream in = FactSchema.class.getResourceAsStream(RESOURCE)) {
                if (in == null) {
                    throw new IllegalStateException("fact schema " + RESOURCE + " missing from the classpath");
                }
                s = parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new IllegalStateException("cannot read the fact schema", e);
            }
            standard = s;
        }
        return s;
    }

    /**
     * Reads a schema document ({@code facts:}, {@code elements:}, {@code types:}).
     *
     * @throws IllegalArgumentException naming the field when a type is not known
     */
    @SuppressWarnings("unchecked")
    static FactSchema parse(String yamlText) {
        Map<String, Object> doc = new Yaml(new LoaderOptions()).load(yamlText);
        Map<String, Object> typeDocs = (Map<String, Object>) doc.getOrDefault("types", Map.of());
        Map<String, StructType> types = new LinkedHashMap<>();
        Map<String, Map<String, String>> fieldText = new LinkedHashMap<>();
        Map<String, Map<String, CelType>> fields = new LinkedHashMap<>();
        for (Map.Entry<String, Object> t : typeDocs.entrySet()) {
            Map<String, String> texts = new LinkedHashMap<>();
            for (Map.Entry<String, Object> f : ((Map<String, Object>) t.getValue()).entrySet()) {
                texts.put(f.getKey(), String.valueOf(f.getValue()).strip());
            }
            fieldText.put(t.getKey(), Collections.unmodifiableMap(texts));
            Map<String, CelType> resolved = new LinkedHashMap<>();
            fields.put(t.getKey(), resolved);
            types.put(t.getKey(), StructType.create("chameleon." + t.getKey(), ImmutableSet.copyOf(texts.keySet()),
                    name -> Optional.ofNullable(resolved.get(name))));
        }
        for (Map.Entry<String, Map<String, String>> t : fieldText.entrySet()) {
            for (Map.Entry<String, String> f : t.getValue().entrySet()) {
                fields.get(t.getKey()).put(f.getKey(), type(f.getValue(), types, t.getKey() + "." + f.getKey()));
            }
        }
        Map<String, CelType> variables = new LinkedHashMap<>();
        for (Map.Entry<String, Object> v : ((Map<String, Object>) doc.get("facts")).entrySet()) {
            variables.put(v.getKey(), type(String.valueOf(v.getValue()), types, v.getKey()));
        }
        Map<String, String> elements = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : ((Map<String, Object>) doc.getOrDefault("elements", Map.of())).entrySet()) {
            String list = String.valueOf(e.getValue());
            if (!(variables.get(list) instanceof ListType)) {
                throw new IllegalArgumentException("element " + e.getKey() + " ranges over " + list + ", which is not a list fact");
            }
            elements.put(e.getKey(), list);
        }
        Map<String, Set<String>> required = new LinkedHashMap<>();
        for (Map.Entry<String, Object> r : ((Map<String, Object>) doc.getOrDefault("required", Map.of())).entrySet()) {
            Map<String, String> known = fieldText.get(r.getKey());
            if (known == null) {
                throw new IllegalArgumentException("required: no type '" + r.getKey() + "'");
            }
            Set<String> names = new LinkedHashSet<>();
            for (Object f : (List<Object>) r.getValue()) {
                if (!known.containsKey(String.valueOf(f))) {
                    throw new IllegalArgumentException("required: type " + r.getKey() + " has no field '" + f + "'");
                }
                names.add(String.valueOf(f));
            }
            required.put(r.getKey(), Collections.unmodifiableSet(names));
        }
        return new FactSchema(Collections.unmodifiableMap(variables), Collections.unmodifiableMap(elements),
                Collections.unmodifiableMap(types), Collections.unmodifiableMap(fieldText), Collections.unmodifiableMap(required));
    }

    private static CelType type(String text, Map<String, StructType> types, String where) {
        String t = text.strip();
        switch (t) {
            case "string":
                return SimpleType.STRING;
            case "int":
                return SimpleType.INT;
            case "double":
                return SimpleType.DOUBLE;
            case "bool":
                return SimpleType.BOOL;
            case "dyn":
                return SimpleType.DYN;
            default:
                break;
        }
        if (t.startsWith("list<") && t.endsWith(">")) {
            return ListType.create(type(t.substring(5, t.length() - 1), types, where));
        }
        if (t.startsWith("map<") && t.endsWith(">")) {
            return MapType.create(SimpleType.STRING, type(t.substring(4, t.length() - 1), types, where));
        }
        StructType s = types.get(t);
        if (s == null) {
            throw new IllegalArgumentException("fact schema: " + where + " has unknown type '" + t + "'");
        }
        return s;
    }

    /** The top-level fact variables ({@code platform}, {@code disks}, ...) and their CEL types. */
    public Map<String, CelType> variables() {
        return variables;
    }

    /** Per-element selector variables ({@code disk}) and the list fact each ranges over ({@code disks}). */
    public Map<String, String> elements() {
        return elements;
    }

    /** The CEL type of one element of a selector variable ({@code disk} → {@code chameleon.Disk}). */
    public CelType elementType(String element) {
        String list = elements.get(element);
        if (list == null) {
            throw new IllegalArgumentException("no element variable '" + element + "' (known: " + elements.keySet() + ")");
        }
        return ((ListType) variables.get(list)).elemType();
    }

    /** Object types by short name ({@code Disk}), each field with its type as written in the schema. */
    public Map<String, Map<String, String>> fields() {
        return fieldText;
    }

    /**
     * Whether a field is reported whenever its object is: the schema's {@code required:} list,
     * which is docs/facts.md's "never" in the "when absent" column. Every other field may be left
     * out on some machine, so a condition reading it should guard it with {@code has()}.
     *
     * @param typeName the CEL type name ({@code chameleon.Platform}) or the short name ({@code Platform})
     */
    public boolean required(String typeName, String field) {
        String shortName = typeName.startsWith("chameleon.") ? typeName.substring("chameleon.".length()) : typeName;
        return required.getOrDefault(shortName, Set.of()).contains(field);
    }

    /** The {@code required:} fields by short type name. */
    public Map<String, Set<String>> requiredFields() {
        return required;
    }

    /** Whether a top-level fact is a list (absent lists evaluate as empty lists). */
    boolean isList(String variable) {
        return variables.get(variable) instanceof ListType;
    }

    @Override
    public ImmutableCollection<CelType> types() {
        return ImmutableList.copyOf(new ArrayList<CelType>(types.values()));
    }

    @Override
    public Optional<CelType> findType(String typeName) {
        for (StructType t : types.values()) {
            if (t.name().equals(typeName)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    /**
     * Checks a fact tree (plain maps, lists and values, as in a {@code FactSet}) against the
     * schema: every path must be known and every value of its type. {@code dyn} accepts anything,
     * {@code double} accepts whole numbers too, and a {@code null} value is taken as absent.
     *
     * @return one message per problem, e.g. {@code unknown fact 'memory.totalByte'} or
     *         {@code 'nics[0].mtu' must be int, found string "1500"}; empty when the tree fits
     */
    public List<String> check(Map<String, ?> tree) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, ?> e : tree.entrySet()) {
            CelType t = variables.get(e.getKey());
            if (t == null) {
                out.add("unknown fact '" + e.getKey() + "' (known: " + String.join(", ", variables.keySet()) + ")");
            } else {
                check(e.getKey(), t, e.getValue(), out);
            }
        }
        return out;
    }

    /**
     * The tree with every whole number the schema types {@code double} made a {@code Double}
     * ({@code avg5m: 20} in a hand-written fact tree becomes {@code 20.0}); all else as it was.
     * CEL does not compare an int with a double ({@code no matching overload}), so facts read from
     * documents (a PolicyTest's facts, an agent's report) are conformed before evaluation; the
     * sensors write doubles already. Lossless for whole numbers up to 2^53.
     */
    public Map<String, Object> conform(Map<String, ?> tree) {
        Map<String, Object> out = new java.util.LinkedHashMap<>();
        for (Map.Entry<String, ?> e : tree.entrySet()) {
            CelType t = variables.get(e.getKey());
            out.put(e.getKey(), t == null ? e.getValue() : conform(t, e.getValue()));
        }
        return out;
    }

    private Object conform(CelType t, Object v) {
        if (v == null) {
            return null;
        }
        if (t == SimpleType.DOUBLE && v instanceof Number n && !(v instanceof Double) && !(v instanceof Float)) {
            return n.doubleValue();
        }
        if (t instanceof ListType l && v instanceof List<?> list) {
            List<Object> out = new ArrayList<>(list.size());
            list.forEach(x -> out.add(conform(l.elemType(), x)));
            return out;
        }
        if (t instanceof MapType m && v instanceof Map<?, ?> map) {
            Map<Object, Object> out = new java.util.LinkedHashMap<>();
            map.forEach((k, x) -> out.put(k, conform(m.valueType(), x)));
            return out;
        }
        if (t instanceof StructType s && v instanceof Map<?, ?> map) {
            Map<Object, Object> out = new java.util.LinkedHashMap<>();
            map.forEach((k, x) -> out.put(k, s.findField(String.valueOf(k)).map(f -> conform(f.type(), x)).orElse(x)));
            return out;
        }
        return v;
    }

    private void check(String path, CelType t, Object v, List<String> out) {
        if (v == null || t == SimpleType.DYN) {
            return;
        }
        boolean ok;
        if (t == SimpleType.STRING) {
            ok = v instanceof String;
        } else if (t == SimpleType.INT) {
            ok = v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte || v instanceof java.math.BigInteger;
        } else if (t == SimpleType.DOUBLE) {
            ok = v instanceof Number;
        } else if (t == SimpleType.BOOL) {
            ok = v instanceof Boolean;
        } else if (t instanceof ListType l) {
            ok = v instanceof List<?>;
            if (ok) {
                int i = 0;
                for (Object x : (List<?>) v) {
                    check(path + "[" + i++ + "]", l.elemType(), x, out);
                }
            }
        } else if (t instanceof MapType m) {
            ok = v instanceof Map<?, ?>;
            if (ok) {
                for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                    check(path + "{" + e.getKey() + "}", m.valueType(), e.getValue(), out);
                }
            }
        } else if (t instanceof StructType s) {
            ok = v instanceof Map<?, ?>;
            if (ok) {
                for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                    String f = String.valueOf(e.getKey());
                    Optional<StructType.Field> field = s.findField(f);
                    if (field.isEmpty()) {
                        out.add("unknown fact '" + path + "." + f + "' (" + path + " has " + String.join(", ",
                                fieldText.get(s.name().substring("chameleon.".length())).keySet()) + ")");
                    } else {
                        check(path + "." + f, field.get().type(), e.getValue(), out);
                    }
                }
            }
        } else {
            ok = true;
        }
        if (!ok) {
            out.add("'" + path + "' must be " + typeText(t) + ", found " + kind(v) + " " + shortText(v));
        }
    }

    private static String typeText(CelType t) {
        if (t instanceof StructType s) {
            return "an object (" + s.name().substring("chameleon.".length()) + ")";
        }
        if (t instanceof ListType) {
            return "a list";
        }
        if (t instanceof MapType) {
            return "a map";
        }
        return t.name();
    }

    private static String kind(Object v) {
        if (v instanceof String) {
            return "string";
        }
        if (v instanceof Boolean) {
            return "bool";
        }
        if (v instanceof Double || v instanceof Float) {
            return "double";
        }
        if (v instanceof Number) {
            return "int";
        }
        if (v instanceof List<?>) {
            return "list";
        }
        if (v instanceof Map<?, ?>) {
            return "object";
        }
        return v.getClass().getSimpleName();
    }

    private static String shortText(Object v) {
        String s = v instanceof String ? "\"" + v + "\"" : String.valueOf(v);
        return s.length() > 60 ? s.substring(0, 57) + "..." : s;
    }

    /** Every fact path as {@code path: type}, depth-first, for the reference page and {@code policy schema --facts}. */
    public List<String> describe() {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, CelType> v : variables.entrySet()) {
            walk(v.getKey(), v.getValue(), out, new LinkedHashSet<>());
        }
        return out;
    }

    private void walk(String path, CelType t, List<String> out, Set<String> seen) {
        if (t instanceof StructType s) {
            String shortName = s.name().substring("chameleon.".length());
            if (!seen.add(shortName)) {
                return;
            }
            for (Map.Entry<String, String> f : fieldText.get(shortName).entrySet()) {
                String p = path + "." + f.getKey();
                out.add(p + ": " + f.getValue());
                walk(p, s.findField(f.getKey()).map(StructType.Field::type).orElseThrow(), out, new LinkedHashSet<>(seen));
            }
        } else if (t instanceof ListType l && l.elemType() instanceof StructType) {
            walk(path + "[]", l.elemType(), out, seen);
        } else if (t instanceof MapType m && m.valueType() instanceof StructType) {
            walk(path + "{}", m.valueType(), out, seen);
        }
    }
}
