package dev.chameleon.agent;

import dev.chameleon.model.PlanEntry;
import dev.chameleon.policy.PolicySet;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The plan as people and programs see it. The JSON form is stable:
 * {@code {platform, policies: [{name, source, priority, mode, when, matched, error, facts}],
 * entries: [{key, action, current, desired, policy, source, priority, mode, condition, facts,
 * element, note}], summary: {change, ok, notApplicable, error}}}.
 */
final class PlanView {
    private PlanView() {
    }

    static Map<String, Object> tree(Session s) {
        Map<String, Object> root = new LinkedHashMap<>();
        Map<String, Object> platform = new LinkedHashMap<>();
        for (String k : List.of("hypervisor", "vmm", "cloud", "container", "confidence")) {
            s.facts().get("platform." + k).ifPresent(v -> platform.put(k, v));
        }
        root.put("platform", platform);
        List<Object> pols = new ArrayList<>();
        for (PolicySet.PolicyOutcome o : s.evaluation().outcomes()) {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("name", o.policy().name());
            p.put("source", o.policy().location());
            p.put("priority", o.policy().priority());
            p.put("mode", o.policy().mode());
            p.put("when", o.policy().when().text());
            p.put("matched", o.matched());
            if (!o.error().isEmpty()) {
                p.put("error", o.error());
            }
            p.put("facts", o.facts());
            pols.add(p);
        }
        root.put("policies", pols);
        List<Object> entries = new ArrayList<>();
        int[] counts = new int[4];
        for (PlanEntry e : s.plan().entries()) {
            counts[e.action().ordinal()]++;
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("key", e.key().toString());
            m.put("action", e.action().label());
            m.put("current", e.current());
            m.put("desired", e.setting().value());
            if (!e.target().isEmpty() && !e.target().equals(e.setting().value())) {
                m.put("target", e.target());
            }
            m.put("policy", e.setting().reason().policy());
            m.put("source", e.setting().reason().source());
            m.put("priority", e.setting().reason().priority());
            m.put("mode", s.evaluation().modes().getOrDefault(e.key(), "enforce"));
            m.put("condition", e.setting().reason().condition());
            m.put("facts", e.setting().reason().facts());
            if (!e.setting().reason().element().isEmpty()) {
                m.put("element", e.setting().reason().element());
            }
            if (!e.note().isEmpty()) {
                m.put("note", e.note());
            }
            entries.add(m);
        }
        root.put("entries", entries);
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("change", counts[PlanEntry.Action.CHANGE.ordinal()]);
        summary.put("ok", counts[PlanEntry.Action.OK.ordinal()]);
        summary.put("notApplicable", counts[PlanEntry.Action.NOT_APPLICABLE.ordinal()]);
        summary.put("error", counts[PlanEntry.Action.ERROR.ordinal()]);
        root.put("summary", summary);
        return root;
    }

    static void table(Session s, PrintWriter out) {
        var f = s.facts();
        out.printf("Platform: hypervisor %s%s, cloud %s, container %s (confidence %s)%n",
                f.getString("platform.hypervisor").orElse("(not known)"),
                f.getString("platform.vmm").map(v -> " (" + v + ")").orElse(""),
                f.getString("platform.cloud").orElse("(not known)"),
                f.getString("platform.container").orElse("(not known)"),
                f.get("platform.confidence").map(String::valueOf).orElse("-"));
        out.println();
        out.println("Policies:");
        for (PolicySet.PolicyOutcome o : s.evaluation().outcomes()) {
            String state = !o.error().isEmpty() ? "ERROR" : o.matched() ? "matched" : "not matched";
            out.printf("  %-24s %-11s %s%n", o.policy().name(), state, o.policy().location());
            if (!o.policy().when().text().equals("true")) {
                out.printf("  %-24s   when %s%n", "", o.policy().when().text());
            }
            if (!o.facts().isEmpty()) {
                out.printf("  %-24s   because %s%n", "", String.join(", ", o.facts()));
            }
            if (!o.error().isEmpty()) {
                out.printf("  %-24s   error: %s%n", "", o.error());
            }
        }
        section(out, s, PlanEntry.Action.CHANGE, "Changes");
        section(out, s, PlanEntry.Action.OK, "Already as desired");
        section(out, s, PlanEntry.Action.NOT_APPLICABLE, "Not applicable here");
        section(out, s, PlanEntry.Action.ERROR, "Could not be read");
        long change = s.plan().entries().stream().filter(e -> e.action() == PlanEntry.Action.CHANGE).count();
        long ok = s.plan().entries().stream().filter(e -> e.action() == PlanEntry.Action.OK).count();
        long na = s.plan().entries().stream().filter(e -> e.action() == PlanEntry.Action.NOT_APPLICABLE).count();
        long err = s.plan().entries().stream().filter(e -> e.action() == PlanEntry.Action.ERROR).count();
        out.println();
        out.printf("Plan: %d to change, %d already set, %d not applicable, %d unreadable.%n", change, ok, na, err);
        out.flush();
    }

    private static void section(PrintWriter out, Session s, PlanEntry.Action action, String title) {
        List<PlanEntry> list = s.plan().entries().stream().filter(e -> e.action() == action).toList();
        if (list.isEmpty()) {
            return;
        }
        out.println();
        out.println(title + " (" + list.size() + "):");
        for (PlanEntry e : list) {
            switch (action) {
                case CHANGE -> out.printf("  ~ %s: %s -> %s%n", e.key(), Render.brief(e.current()), Render.brief(e.target()));
                case OK -> out.printf("  = %s: %s%s%n", e.key(), Render.brief(e.current()), e.note().isEmpty() ? "" : " (" + e.note() + ")");
                default -> out.printf("  - %s: %s%n", e.key(), e.note());
            }
            out.printf("      %s%n", e.setting().reason().describe());
            if (!e.setting().reason().facts().isEmpty() && action == PlanEntry.Action.CHANGE) {
                out.printf("      because %s%n", String.join(", ", e.setting().reason().facts()));
            }
        }
    }
}
