package dev.chameleon.server.http;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The OpenAPI 3.0 document, generated from the routes the server registers and from the Java
 * records its handlers read and write (component schemas by reflection), so it cannot drift
 * from the code.
 */
public final class OpenApi {
    private static final Pattern PATH_PARAM = Pattern.compile("\\{([A-Za-z]+)}");
    private final Map<String, Object> schemas = new TreeMap<>();
    private final Map<String, Class<?>> named = new java.util.HashMap<>();

    private OpenApi() {
    }

    /** The document for these routes. */
    public static Map<String, Object> document(List<Route> routes, String version) {
        return new OpenApi().build(routes, version);
    }

    private Map<String, Object> build(List<Route> routes, String version) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("openapi", "3.0.3");
        doc.put("info", Map.of("title", "Chameleon control plane", "version", version,
                "description", "Enrollment, signed policy bundles, reports, inventory and rollouts. See docs/control-plane.md."));
        Map<String, Object> paths = new TreeMap<>();
        for (Route r : routes) {
            @SuppressWarnings("unchecked")
            Map<String, Object> item = (Map<String, Object>) paths.computeIfAbsent(r.path(), k -> new LinkedHashMap<>());
            item.put(r.method().name().toLowerCase(java.util.Locale.ROOT), operation(r));
        }
        doc.put("paths", paths);
        schemas.put("Error", errorSchema());
        Map<String, Object> components = new LinkedHashMap<>();
        components.put("schemas", schemas);
        components.put("securitySchemes", Map.of("bearer", Map.of("type", "http", "scheme", "bearer",
                "description", "cht_... (operator API token) or cha_... (agent credential)")));
        doc.put("components", components);
        return doc;
    }

    private Map<String, Object> operation(Route r) {
        Map<String, Object> op = new LinkedHashMap<>();
        op.put("tags", List.of(r.tag()));
        op.put("summary", r.summary());
        op.put("operationId", r.method().name().toLowerCase(java.util.Locale.ROOT) + operationName(r.path()));
        op.put("x-chameleon-who", r.who().text());
        if (r.who().authenticated()) {
            op.put("security", List.of(Map.of("bearer", List.of())));
        }
        List<Object> params = new ArrayList<>();
        Matcher m = PATH_PARAM.matcher(r.path());
        while (m.find()) {
            params.add(Map.of("name", m.group(1), "in", "path", "required", true, "schema", Map.of("type", "string")));
        }
        for (Route.Param p : r.params()) {
            params.add(Map.of("name", p.name(), "in", p.in(), "required", false, "description", p.description(),
                    "schema", Map.of("type", p.type())));
        }
        if (!params.isEmpty()) {
            op.put("parameters", params);
        }
        if (r.request() != null) {
            op.put("requestBody", Map.of("required", true, "content", content(r.request())));
        }
        Map<String, Object> responses = new TreeMap<>();
        Map<String, Object> ok = new LinkedHashMap<>();
        ok.put("description", "success");
        if (r.response() != null) {
            ok.put("content", content(r.response()));
        }
        responses.put(String.valueOf(r.status()), ok);
        List<Integer> errors = new ArrayList<>(r.errors());
        if (r.who().authenticated()) {
            errors.add(401);
            errors.add(403);
        }
        errors.add(500);
        for (int e : errors) {
            responses.put(String.valueOf(e), Map.of("description", describe(e),
                    "content", Map.of("application/json", Map.of("schema", Map.of("$ref", "#/components/schemas/Error")))));
        }
        op.put("responses", responses);
        return op;
    }

    private static String operationName(String path) {
        StringBuilder sb = new StringBuilder();
        for (String part : path.replace("/api/v1", "").split("[/{}.-]")) {
            if (!part.isEmpty()) {
                sb.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
            }
        }
        return sb.toString();
    }

    private static String describe(int status) {
        return switch (status) {
            case 304 -> "not modified";
            case 400 -> "malformed request";
            case 401 -> "no, unknown, revoked or wrong credential; code token-expired: an API token past its expiry;"
                    + " code reenroll: the agent is unknown here, enroll again";
            case 403 -> "the credential may not do this";
            case 404 -> "no such thing";
            case 409 -> "conflicts with the current state";
            case 413 -> "body too large";
            case 415 -> "wrong Content-Type";
            case 422 -> "does not compile; errors[] are positioned";
            default -> "server error";
        };
    }

    private Map<String, Object> content(Route.Body b) {
        Map<String, Object> schema;
        if (b.type() == null) {
            schema = b.mediaType().equals("application/json") ? Map.of("type", "object") : Map.of("type", "string");
        } else if (b.list()) {
            schema = Map.of("type", "array", "items", schemaOf(b.type()));
        } else {
            schema = schemaOf(b.type());
        }
        return Map.of(b.mediaType(), Map.of("schema", schema));
    }

    private static Map<String, Object> with(Map<String, Object> m, String k, Object v) {
        Map<String, Object> out = new LinkedHashMap<>(m);
        out.put(k, v);
        return out;
    }

    private static Map<String, Object> errorSchema() {
        Map<String, Object> props = new LinkedHashMap<>();
        props.put("message", Map.of("type", "string"));
        props.put("code", Map.of("type", "string"));
        props.put("errors", Map.of("type", "array", "items", Map.of("type", "string")));
        props.put("requestId", Map.of("type", "string"));
        return Map.of("type", "object", "required", List.of("message", "code", "errors", "requestId"), "properties", props,
                "additionalProperties", false);
    }

    /** The schema of a Java type: records become components, referenced by their simple name. */
    Map<String, Object> schemaOf(Type t) {
        if (t instanceof ParameterizedType p) {
            Class<?> raw = (Class<?>) p.getRawType();
            if (List.class.isAssignableFrom(raw)) {
                return Map.of("type", "array", "items", schemaOf(p.getActualTypeArguments()[0]));
            }
            if (Map.class.isAssignableFrom(raw)) {
                return Map.of("type", "object", "additionalProperties", schemaOf(p.getActualTypeArguments()[1]));
            }
            throw new IllegalArgumentException("no schema for " + t);
        }
        Class<?> c = (Class<?>) t;
        if (c == String.class) {
            return Map.of("type", "string");
        }
        if (c == int.class || c == Integer.class || c == long.class || c == Long.class) {
            return Map.of("type", "integer");
        }
        if (c == boolean.class || c == Boolean.class) {
            return Map.of("type", "boolean");
        }
        if (c == double.class || c == Double.class) {
            return Map.of("type", "number");
        }
        if (c == Instant.class) {
            return Map.of("type", "string", "format", "date-time");
        }
        if (c == Object.class) {
            return Map.of();
        }
        if (c == dev.chameleon.wire.ReportKind.class) {
            return Map.of("type", "string", "enum", java.util.Arrays.stream(dev.chameleon.wire.ReportKind.values())
                    .map(dev.chameleon.wire.ReportKind::wire).toList());
        }
        if (c == dev.chameleon.wire.Report.class && !schemas.containsKey("Report")) {
            // on the wire the payload is the JSON object itself; the record keeps it as text
            Map<String, Object> props = new LinkedHashMap<>();
            props.put("id", Map.of("type", "string", "pattern", "^[A-Za-z0-9._:-]{1,128}$"));
            props.put("kind", schemaOf(dev.chameleon.wire.ReportKind.class));
            props.put("time", Map.of("type", "string", "format", "date-time"));
            // the payload's shape depends on the kind; the server checks it against the same table (ReportShapes)
            List<Object> payloads = new ArrayList<>();
            dev.chameleon.server.service.ReportShapes.schemas().forEach((name, schema) -> {
                if (!name.equals("FactsMeta")) {
                    schemas.put(name, schema);
                    payloads.add(Map.of("$ref", "#/components/schemas/" + name));
                }
            });
            schemas.put("FactsMeta", dev.chameleon.server.service.ReportShapes.FACTS_META.schema());
            payloads.add(Map.of("type", "object", "description", "facts: the fact tree (chameleon facts -o json); its meta is FactsMeta",
                    "properties", Map.of("meta", Map.of("$ref", "#/components/schemas/FactsMeta"))));
            props.put("payload", Map.of("type", "object", "description", "by kind: status StatusPayload, plan PlanPayload, "
                    + "current-values CurrentValuesPayload, change-set ChangeSetPayload, event EventPayload (type tuning-proposal: "
                    + "TuningProposalEventPayload, advice: AdviceEventPayload), facts a fact tree whose meta is FactsMeta; fields not "
                    + "named are kept as sent; a report that does not fit refuses its whole batch (400 naming the report and field)",
                    "anyOf", payloads));
            schemas.put("Report", Map.of("type", "object", "required", List.of("id", "kind", "time", "payload"), "properties", props));
            return Map.of("$ref", "#/components/schemas/Report");
        }
        if (c.isRecord()) {
            // nested records are named with their outer class: Policies.Summary is PoliciesSummary
            String name = (c.getEnclosingClass() == null ? "" : c.getEnclosingClass().getSimpleName()) + c.getSimpleName();
            Class<?> before = named.putIfAbsent(name, c);
            if (before != null && before != c) {
                throw new IllegalStateException("two records give the schema name " + name + ": " + before + " and " + c);
            }
            if (!schemas.containsKey(name)) {
                schemas.put(name, Map.of()); // placeholder against recursion
                Map<String, Object> props = new LinkedHashMap<>();
                for (RecordComponent rc : c.getRecordComponents()) {
                    Map<String, Object> ps = schemaOf(rc.getGenericType());
                    if (!rc.getType().isPrimitive()) {
                        // absent values are written as null
                        ps = ps.containsKey("$ref") ? Map.of("nullable", true, "allOf", List.of(ps)) : with(ps, "nullable", true);
                    }
                    props.put(rc.getName(), ps);
                }
                Map<String, Object> s = new LinkedHashMap<>();
                s.put("type", "object");
                s.put("properties", props);
                s.put("additionalProperties", false);
                schemas.put(name, s);
            }
            return Map.of("$ref", "#/components/schemas/" + name);
        }
        throw new IllegalArgumentException("no schema for " + c.getName());
    }
}
