package dev.chameleon.agent;

import dev.chameleon.model.PlanEntry;
import dev.chameleon.model.SettingKey;
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
 * element, note, applies}], summary: {change, ok, notApplicable, error, audit, advice, appliedOnce}}}; documented in
 * {@code docs/plan-json.md}. {@code applies} is false for settings of {@code audit}-mode policies:
 * {@code plan} shows them, {@code apply} leaves them alone.
 */
final class PlanView {
    private PlanView() {
    }

    static Map<String, Object> tree(Session s) {
        return tree(s, Map.of());
    }

    /**
     * @param appliedOnce apply-once keys that apply leaves alone, with the change set that applied
     *                    them ({@link ApplyCommand#leftAlone})
     */
    static Map<String, Object> tree(Session s, Map<SettingKey, String> appliedOnce) {
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
            p.put("mode", o.policy().mode().label());
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
        int advice = 0;
        for (PlanEntry e : s.plan().entries()) {
            boolean isAdvice = PolicySet.Evaluation.isAdvice(e.key());
            if (isAdvice) {
                advice++;
            } else {
                counts[e.action().ordinal()]++;
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("key", e.key().toString());
            m.put("action", isAdvice ? "advice" : e.action().label());
            m.put("current", e.current());
            m.put("desired", e.setting().value());
            if (!e.target().isEmpty() && !e.target().equals(e.setting().value())) {
                m.put("target", e.target());
            }
            m.put("policy", e.setting().reason().policy());
            m.put("source", e.setting().reason().source());
            m.put("priority", e.setting().reason().priority());
            m.put("mode", s.evaluation().mode(e.key()).label());
            m.put("applies", !isAdvice && s.evaluation().mode(e.key()) != dev.chameleon.model.PolicyMode.AUDIT && !appliedOnce.containsKey(e.key()));
            m.put("condition", e.setting().reason().condition());
            m.put("facts", e.setting().reason().facts());
            if (!e.setting().reason().element().isEmpty()) {
                m.put("element", e.setting().reason().element());
            }
            if (!e.note().isEmpty() && !isAdvice) {
                m.put("note", e.note());
            } else if (appliedOnce.containsKey(e.key()) && e.action() == PlanEntry.Action.CHANGE) {
                m.put("note", onceNote(appliedOnce.get(e.key())));
            }
            entries.add(m);
        }
        root.put("entries", entries);
        Map<String, Object> summary = new LinkedHashMap<>();
        long audited = s.plan().entries().stream().filter(e -> audit(s, e) && e.action() == PlanEntry.Action.CHANGE).count();
        long once = s.plan().entries().stream().filter(e -> appliedOnce.containsKey(e.key()) && e.action() == PlanEntry.Action.CHANGE).count();
        summary.put("change", counts[PlanEntry.Action.CHANGE.ordinal()] - audited - once);
        summary.put("ok", counts[PlanEntry.Action.OK.ordinal()]);
        summary.put("notApplicable", counts[PlanEntry.Action.NOT_APPLICABLE.ordinal()]);
        summary.put("error", counts[PlanEntry.Action.ERROR.ordinal()]);
        summary.put("audit", audited);
        summary.put("advice", advice);
        summary.put("appliedOnce", once);
        root.put("summary", summary);
        return root;
    }

    /** Whether an apply would change something: a change that is neither audit-mode nor an apply-once already done. */
    static boolean applyWouldChange(Session s, Map<SettingKey, String> appliedOnce) {
        return s.plan().entries().stream().anyMatch(e -> e.action() == PlanEntry.Action.CHANGE && !audit(s, e)
                && !appliedOnce.containsKey(e.key()));
    }

    static String onceNote(String changeSet) {
        return "apply-once: applied before in change set " + changeSet + "; apply leaves it";
    }

    static void table(Session s, PrintWriter out) {
        table(s, Map.of(), out);
    }

    static void table(Session s, Map<SettingKey, String> appliedOnce, PrintWriter out) {
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
        section(out, s, appliedOnce, PlanEntry.Action.CHANGE, "Changes");
        section(out, s, appliedOnce, PlanEntry.Action.OK, "Already as desired");
        section(out, s, appliedOnce, PlanEntry.Action.NOT_APPLICABLE, "Not applicable here");
        section(out, s, appliedOnce, PlanEntry.Action.ERROR, "Could not be read");
        List<PlanEntry> advice = s.plan().entries().stream().filter(e -> PolicySet.Evaluation.isAdvice(e.key())).toList();
        if (!advice.isEmpty()) {
            out.println();
            out.println("Advice for a person (never applied) (" + advice.size() + "):");
            for (PlanEntry e : advice) {
                out.printf("  ! %s: %s%n", e.key().target(), e.setting().value());
                out.printf("      %s%n", e.setting().reason().describe());
            }
        }
        long change = s.plan().entries().stream().filter(e -> e.action() == PlanEntry.Action.CHANGE).count();
        long ok = s.plan().entries().stream().filter(e -> e.action() == PlanEntry.Action.OK).count();
        long na = s.plan().entries().stream().filter(e -> e.action() == PlanEntry.Action.NOT_APPLICABLE
                && !PolicySet.Evaluation.isAdvice(e.key())).count();
        long err = s.plan().entries().stream().filter(e -> e.action() == PlanEntry.Action.ERROR).count();
        out.println();
        long audit = s.plan().entries().stream().filter(e -> e.action() == PlanEntry.Action.CHANGE && audit(s, e)).count();
        long once = s.plan().entries().stream().filter(e -> e.action() == PlanEntry.Action.CHANGE && !audit(s, e)
                && appliedOnce.containsKey(e.key())).count();
        out.printf("Plan: %d to change, %d already set, %d not applicable, %d unreadable.%n", change - audit - once, ok, na, err);
        if (once > 0) {
            out.printf("Apply-once: %d setting(s) were applied before and changed since; apply leaves them.%n", once);
        }
        if (audit > 0) {
            out.printf("Audit: %d setting(s) differ from audit-mode policies; apply leaves them alone.%n", audit);
        }
        out.flush();
    }

    private static boolean audit(Session s, PlanEntry e) {
        return s.evaluation().mode(e.key()) == dev.chameleon.model.PolicyMode.AUDIT;
    }

    private static void section(PrintWriter out, Session s, Map<SettingKey, String> appliedOnce, PlanEntry.Action action, String title) {
        List<PlanEntry> list = s.plan().entries().stream()
                .filter(e -> e.action() == action && !PolicySet.Evaluation.isAdvice(e.key())).toList();
        if (list.isEmpty()) {
            return;
        }
        out.println();
        out.println(title + " (" + list.size() + "):");
        for (PlanEntry e : list) {
            switch (action) {
                case CHANGE -> out.printf("  %s %s: %s -> %s%s%n", audit(s, e) || appliedOnce.containsKey(e.key()) ? "?" : "~", e.key(),
                        Render.brief(e.current()), Render.brief(e.target()),
                        audit(s, e) ? "   [audit: reported only, apply leaves it]"
                                : appliedOnce.containsKey(e.key()) ? "   [" + onceNote(appliedOnce.get(e.key())) + "]" : "");
                case OK -> out.printf("  = %s: %s%s%n", e.key(), Render.brief(e.current()), e.note().isEmpty() ? "" : " (" + Render.printable(e.note()) + ")");
                default -> out.printf("  - %s: %s%n", e.key(), Render.printable(e.note()));
            }
            out.printf("      %s%n", e.setting().reason().describe());
            if (!e.setting().reason().facts().isEmpty() && action == PlanEntry.Action.CHANGE) {
                out.printf("      because %s%n", String.join(", ", e.setting().reason().facts()));
            }
        }
    }
}
