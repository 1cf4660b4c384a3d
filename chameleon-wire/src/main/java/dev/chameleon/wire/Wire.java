package dev.chameleon.wire;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The JSON codecs of the wire records, on Jackson's streaming parser and generator.
 *
 * <p>Readers take text or a UTF-8 stream and throw {@link WireFormatException} with the line and
 * column of the first problem; unknown fields are ignored (documents only gain fields). Writers
 * give compact JSON.
 */
public final class Wire {
    private Wire() {
    }

    // ---- enrollment ----

    public static String write(EnrollRequest r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("enrollToken", r.enrollToken());
        m.put("hostname", r.hostname());
        m.put("agentVersion", r.agentVersion());
        m.put("facts", r.facts());
        return Json.write(m);
    }

    public static EnrollRequest readEnrollRequest(InputStream in) throws WireFormatException {
        return enrollRequest(Fields.document(Json.parser(in), "enrollment request", Set.of()));
    }

    public static EnrollRequest readEnrollRequest(String text) throws WireFormatException {
        return enrollRequest(Fields.document(Json.parser(text), "enrollment request", Set.of()));
    }

    /** The fields of an enrollment request; any other is refused (a server reads requests strictly). */
    public static final List<String> ENROLL_REQUEST_FIELDS = List.of("enrollToken", "hostname", "agentVersion", "facts");
    /** The fields of a report batch, and of each report in it; any other is refused. */
    public static final List<String> BATCH_FIELDS = List.of("reports");
    public static final List<String> REPORT_FIELDS = List.of("id", "kind", "time", "payload");

    private static EnrollRequest enrollRequest(Fields f) throws WireFormatException {
        f.onlyKnown(ENROLL_REQUEST_FIELDS);
        return new EnrollRequest(f.string("enrollToken"), f.string("hostname"), f.optionalString("agentVersion", ""),
                f.has("facts") ? f.object("facts") : Map.of());
    }

    public static String write(EnrollResponse r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("agentId", r.agentId());
        m.put("credential", r.credential());
        m.put("bundleKey", keyTree(r.bundleKey()));
        return Json.write(m);
    }

    public static EnrollResponse readEnrollResponse(String text) throws WireFormatException {
        Fields f = Fields.document(Json.parser(text), "enrollment response", Set.of());
        Map<String, Object> k = f.object("bundleKey");
        if (!(k.get("keyId") instanceof String id) || !(k.get("algorithm") instanceof String alg)
                || !(k.get("publicKey") instanceof String pub)) {
            throw f.error("bundleKey", "bundleKey needs the strings keyId, algorithm and publicKey");
        }
        return new EnrollResponse(f.string("agentId"), f.string("credential"), new BundleKey(id, alg, pub));
    }

    static Map<String, Object> keyTree(BundleKey k) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("keyId", k.keyId());
        m.put("algorithm", k.algorithm());
        m.put("publicKey", k.publicKey());
        return m;
    }

    // ---- reports ----

    /** One report as JSON; the payload is inlined as the object it is. */
    public static void write(JsonGenerator g, Report r) throws IOException {
        g.writeStartObject();
        g.writeStringField("id", r.id());
        g.writeStringField("kind", r.kind().wire());
        g.writeStringField("time", r.time());
        g.writeFieldName("payload");
        g.writeRawValue(r.payload());
        g.writeEndObject();
    }

    public static String write(ReportBatch b) {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = Json.FACTORY.createGenerator(w)) {
            g.writeStartObject();
            g.writeArrayFieldStart("reports");
            for (Report r : b.reports()) {
                write(g, r);
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return w.toString();
    }

    /**
     * Reads a batch {@code {"reports": [{id, kind, time, payload}, ...]}}. Refuses: more than
     * {@link ReportBatch#MAX_REPORTS} reports, an id used twice in the batch, an unknown kind, a
     * malformed id or time, a payload that is not an object.
     */
    public static ReportBatch readReportBatch(InputStream in) throws WireFormatException {
        try (JsonParser p = Json.parser(in)) {
            try {
                return reportBatch(p);
            } catch (IOException e) {
                throw Json.wrap(e, p);
            }
        } catch (IOException e) {
            throw Json.wrap(e);
        }
    }

    public static ReportBatch readReportBatch(String text) throws WireFormatException {
        try (JsonParser p = Json.parser(text)) {
            try {
                return reportBatch(p);
            } catch (IOException e) {
                throw Json.wrap(e, p);
            }
        } catch (IOException e) {
            throw Json.wrap(e);
        }
    }

    private static ReportBatch reportBatch(JsonParser p) throws IOException, WireFormatException {
        if (p.nextToken() != JsonToken.START_OBJECT) {
            throw Json.at(p, "a report batch must be a JSON object {\"reports\": [...]}");
        }
        List<Report> out = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            p.nextToken();
            if (!name.equals("reports")) {
                throw Json.at(p, "a report batch has the unknown field '" + (name.length() > 60 ? name.substring(0, 60) + "..." : name)
                        + "' (known: reports)");
            }
            if (p.currentToken() != JsonToken.START_ARRAY) {
                throw Json.at(p, "reports must be an array");
            }
            out = new ArrayList<>();
            Set<String> ids = new HashSet<>();
            while (p.nextToken() != JsonToken.END_ARRAY) {
                if (out.size() == ReportBatch.MAX_REPORTS) {
                    throw Json.at(p, "a batch holds at most " + ReportBatch.MAX_REPORTS + " reports");
                }
                String what = "reports[" + out.size() + "]";
                Fields f = Fields.read(p, what, Set.of("payload")).onlyKnown(REPORT_FIELDS);
                Report r = report(f, what);
                if (!ids.add(r.id())) {
                    throw f.error("id", what + ".id '" + r.id() + "' appears twice in this batch");
                }
                out.add(r);
            }
        }
        if (out == null) {
            throw new WireFormatException("a report batch needs the array field 'reports'", 1, 1);
        }
        if (p.nextToken() != null) {
            throw Json.at(p, "unexpected content after the JSON object");
        }
        return new ReportBatch(out);
    }

    private static Report report(Fields f, String what) throws WireFormatException {
        String id = f.string("id");
        if (!Report.validId(id)) {
            throw f.error("id", what + ".id must be 1 to " + Report.MAX_ID_CHARS + " of A-Z a-z 0-9 . _ : -");
        }
        String kindText = f.string("kind");
        ReportKind kind = ReportKind.of(kindText).orElseThrow(() -> f.error("kind", what + ".kind '" + kindText
                + "' is not one of " + java.util.Arrays.stream(ReportKind.values()).map(ReportKind::wire).toList()));
        String time = f.string("time");
        try {
            java.time.Instant.parse(time);
            if (!time.endsWith("Z")) {
                // Instant.parse takes an offset too (+05:00); the wire's times are UTC
                throw new java.time.format.DateTimeParseException("not UTC", time, 0);
            }
        } catch (java.time.format.DateTimeParseException e) {
            throw f.error("time", what + ".time must be an ISO-8601 UTC time such as 2026-12-04T13:00:00Z, got '" + time + "'");
        }
        return new Report(id, kind, time, f.raw("payload"));
    }

    public static String write(ReportReceipt r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("accepted", r.accepted());
        m.put("duplicates", r.duplicates());
        return Json.write(m);
    }

    public static ReportReceipt readReportReceipt(String text) throws WireFormatException {
        Fields f = Fields.document(Json.parser(text), "report receipt", Set.of());
        return new ReportReceipt(f.strings("accepted"), f.strings("duplicates"));
    }

    // ---- bundles ----

    public static String write(Bundle b) {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = Json.FACTORY.createGenerator(w)) {
            g.writeStartObject();
            g.writeArrayFieldStart("files");
            for (BundleFile f : b.files()) {
                g.writeStartObject();
                g.writeStringField("name", f.name());
                g.writeStringField("content", f.content());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return w.toString();
    }

    /** Reads a bundle document {@code {"files": [{name, content}, ...]}}; a file name used twice or unsafe is an error. */
    public static Bundle readBundle(InputStream in) throws WireFormatException {
        return bundle(Fields.document(Json.parser(in), "bundle", Set.of()));
    }

    public static Bundle readBundle(String text) throws WireFormatException {
        return bundle(Fields.document(Json.parser(text), "bundle", Set.of()));
    }

    private static Bundle bundle(Fields f) throws WireFormatException {
        List<BundleFile> files = new ArrayList<>();
        Set<String> names = new HashSet<>();
        List<Object> list = f.list("files");
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof Map<?, ?> m) || !(m.get("name") instanceof String name)
                    || !(m.get("content") instanceof String content)) {
                throw f.error("files", "bundle.files[" + i + "] must be an object with the strings name and content");
            }
            if (!BundleFile.validName(name)) {
                throw f.error("files", "bundle.files[" + i + "].name '" + name + "' is not a safe relative path");
            }
            if (!names.add(name)) {
                throw f.error("files", "bundle.files[" + i + "].name '" + name + "' appears twice");
            }
            files.add(new BundleFile(name, content));
        }
        return new Bundle(files);
    }

    public static String write(BundleManifest m) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("version", m.version());
        t.put("agentId", m.agentId());
        t.put("keyId", m.keyId());
        t.put("created", m.created());
        List<Object> ps = new ArrayList<>();
        for (BundleManifest.Entry e : m.policies()) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("assignment", e.assignment());
            x.put("policy", e.policy());
            x.put("version", e.version());
            x.put("file", e.file());
            ps.add(x);
        }
        t.put("policies", ps);
        return Json.canonical(t);
    }

    public static BundleManifest readBundleManifest(String text) throws WireFormatException {
        Fields f = Fields.document(Json.parser(text), "bundle manifest", Set.of());
        List<BundleManifest.Entry> entries = new ArrayList<>();
        List<Object> list = f.list("policies");
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof Map<?, ?> m) || !(m.get("assignment") instanceof String a)
                    || !(m.get("policy") instanceof String p) || !(m.get("version") instanceof Long v)
                    || !(m.get("file") instanceof String file)) {
                throw f.error("policies", "manifest.policies[" + i + "] needs assignment, policy, version and file");
            }
            entries.add(new BundleManifest.Entry(a, p, v, file));
        }
        return new BundleManifest(f.number("version"), f.string("agentId"), f.string("keyId"), f.string("created"), entries);
    }

    // ---- errors ----

    public static String write(ErrorBody e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("message", e.message());
        m.put("code", e.code());
        m.put("errors", e.errors());
        m.put("requestId", e.requestId());
        return Json.write(m);
    }

    public static ErrorBody readError(String text) throws WireFormatException {
        Fields f = Fields.document(Json.parser(text), "error", Set.of());
        return new ErrorBody(f.string("message"), f.optionalString("code", ""),
                f.has("errors") ? f.strings("errors") : List.of(), f.optionalString("requestId", ""));
    }
}
