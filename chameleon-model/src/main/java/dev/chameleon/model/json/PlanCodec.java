package dev.chameleon.model.json;

import com.fasterxml.jackson.core.JsonParseException;
import dev.chameleon.model.PolicyMode;
import dev.chameleon.model.SettingKey;
import dev.chameleon.model.plan.PlanDocument;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one codec of {@link PlanDocument}: the JSON {@code chameleon plan -o json} prints
 * (docs/plan-json.md; fields in that order, absent ones left out) and back.
 */
public final class PlanCodec {
    private PlanCodec() {
    }

    /** The document as indented JSON, byte for byte what {@code plan -o json} prints (without the final newline). */
    public static String write(PlanDocument d) {
        return Json.pretty(tree(d)).orElseThrow();
    }

    /** The document as a plain-value tree (maps in field order), for YAML and other renderers. */
    public static Map<String, Object> tree(PlanDocument d) {
        Map<String, Object> root = new LinkedHashMap<>();
        Map<String, Object> platform = new LinkedHashMap<>();
        PlanDocument.Platform p = d.platform();
        putIf(platform, "hypervisor", p.hypervisor());
        putIf(platform, "vmm", p.vmm());
        putIf(platform, "cloud", p.cloud());
        putIf(platform, "container", p.container());
        putIf(platform, "confidence", p.confidence());
        root.put("platform", platform);
        List<Object> pols = new ArrayList<>();
        for (PlanDocument.PolicyRow o : d.policies()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", o.name());
            m.put("source", o.source());
            m.put("priority", o.priority());
            m.put("mode", o.mode().label());
            m.put("when", o.when());
            m.put("matched", o.matched());
            putIf(m, "error", o.error());
            m.put("facts", o.facts());
            putIf(m, "failed", o.failed());
            putIf(m, "hold", o.hold());
            pols.add(m);
        }
        root.put("policies", pols);
        List<Object> entries = new ArrayList<>();
        for (PlanDocument.Entry e : d.entries()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("key", e.key().toString());
            m.put("action", e.action().label());
            m.put("current", e.current());
            m.put("desired", e.desired());
            putIf(m, "target", e.target());
            m.put("policy", e.policy());
            m.put("source", e.source());
            m.put("priority", e.priority());
            m.put("mode", e.mode().label());
            m.put("applies", e.applies());
            m.put("condition", e.condition());
            m.put("facts", e.facts());
            putIf(m, "element", e.element());
            putIf(m, "note", e.note());
            entries.add(m);
        }
        root.put("entries", entries);
        Map<String, Object> summary = new LinkedHashMap<>();
        PlanDocument.Summary s = d.summary();
        summary.put("change", s.change());
        summary.put("ok", s.ok());
        summary.put("notApplicable", s.notApplicable());
        summary.put("error", s.error());
        summary.put("audit", s.audit());
        summary.put("advice", s.advice());
        summary.put("appliedOnce", s.appliedOnce());
        if (s.unknown() > 0) {
            summary.put("unknown", s.unknown());
        }
        root.put("summary", summary);
        return root;
    }

    private static void putIf(Map<String, Object> m, String k, Object v) {
        if (v != null) {
            m.put(k, v);
        }
    }

    /**
     * Reads a document from its JSON.
     *
     * @throws JsonParseException not JSON (with the position)
     * @throws IllegalArgumentException JSON, but not a plan document: names the field
     */
    public static PlanDocument read(String json) throws JsonParseException {
        Map<String, Object> root = Fields.map(Json.read(json), "the plan");
        Map<String, Object> p = Fields.map(root.get("platform"), "platform");
        PlanDocument.Platform platform = new PlanDocument.Platform(Fields.optText(p, "hypervisor"), Fields.optText(p, "vmm"),
                Fields.optText(p, "cloud"), Fields.optText(p, "container"), p.get("confidence") instanceof Number n ? n : null);
        List<PlanDocument.PolicyRow> policies = new ArrayList<>();
        for (Object o : Fields.list(root.get("policies"), "policies")) {
            Map<String, Object> m = Fields.map(o, "policies[]");
            policies.add(new PlanDocument.PolicyRow(Fields.text(m, "name"), Fields.text(m, "source"), (int) Fields.number(m, "priority"),
                    mode(Fields.text(m, "mode")), Fields.text(m, "when"), Fields.bool(m, "matched"), Fields.optText(m, "error"),
                    Fields.texts(m, "facts"), Fields.optText(m, "failed"), Fields.optText(m, "hold")));
        }
        List<PlanDocument.Entry> entries = new ArrayList<>();
        for (Object o : Fields.list(root.get("entries"), "entries")) {
            Map<String, Object> m = Fields.map(o, "entries[]");
            entries.add(new PlanDocument.Entry(SettingKey.parse(Fields.text(m, "key")), PlanDocument.Action.of(Fields.text(m, "action")),
                    Fields.text(m, "current"), Fields.text(m, "desired"), Fields.optText(m, "target"), Fields.text(m, "policy"),
                    Fields.text(m, "source"), (int) Fields.number(m, "priority"), mode(Fields.text(m, "mode")), Fields.bool(m, "applies"),
                    Fields.text(m, "condition"), Fields.texts(m, "facts"), Fields.optText(m, "element"), Fields.optText(m, "note")));
        }
        Map<String, Object> s = Fields.map(root.get("summary"), "summary");
        PlanDocument.Summary summary = new PlanDocument.Summary(Fields.number(s, "change"), Fields.number(s, "ok"),
                Fields.number(s, "notApplicable"), Fields.number(s, "error"), Fields.number(s, "audit"), Fields.number(s, "advice"),
                Fields.number(s, "appliedOnce"), s.containsKey("unknown") ? Fields.number(s, "unknown") : 0);
        return new PlanDocument(platform, policies, entries, summary);
    }

    private static PolicyMode mode(String label) {
        return PolicyMode.parse(label).orElseThrow(() -> new IllegalArgumentException("mode: '" + label
                + "' is not enforce, apply-once or audit"));
    }
}
