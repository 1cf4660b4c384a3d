package dev.chameleon.cli;

import dev.chameleon.model.plan.PlanDocument;
import java.io.PrintWriter;
import java.util.List;

/**
 * The plan for people, rendered from the {@link PlanDocument} alone (so a plan that travelled,
 * from the daemon or the control plane, prints as the standalone command prints it): the
 * platform, every policy and whether it matched, then the changes, what is already as desired,
 * what is not applicable, what could not be read, advice, and the counts.
 */
final class PlanTable {
    private PlanTable() {
    }

    /** The plan with the policies that did not match in one line (as {@code plan} prints it by default). */
    static void print(PlanDocument d, PrintWriter out) {
        print(d, out, false);
    }

    /**
     * The plan; {@code allPolicies}: every policy that did not match with its condition too
     * ({@code plan --all-policies}), else their names in one line.
     */
    static void print(PlanDocument d, PrintWriter out, boolean allPolicies) {
        PlanDocument.Platform p = d.platform();
        out.printf("Platform: hypervisor %s%s, cloud %s, container %s (confidence %s)%n",
                p.hypervisor() == null ? "(not known)" : p.hypervisor(),
                p.vmm() == null ? "" : " (" + p.vmm() + ")",
                p.cloud() == null ? "(not known)" : p.cloud(),
                p.container() == null ? "(not known)" : p.container(),
                p.confidence() == null ? "-" : String.valueOf(p.confidence()));
        out.println();
        out.println("Policies:");
        List<String> quiet = new java.util.ArrayList<>();
        for (PlanDocument.PolicyRow o : d.policies()) {
            if (!allPolicies && !o.matched() && o.error() == null && o.hold() == null) {
                quiet.add(o.name());
                continue;
            }
            String state = o.error() != null ? "ERROR" : o.matched() ? "matched" : "not matched";
            out.printf("  %-24s %-11s %s%n", o.name(), state, o.source());
            if (!o.when().equals("true")) {
                // a multi-line condition keeps its own indentation under the first line
                String pad = " ".repeat(2 + 24 + 3 + "when ".length());
                out.printf("  %-24s   when %s%n", "", o.when().strip().replace("\n", "\n" + pad));
            }
            if (!o.facts().isEmpty()) {
                out.printf("  %-24s   because %s%n", "", String.join(", ", o.facts()));
            }
            if (o.failed() != null) {
                out.printf("  %-24s   fails at %s%n", "", o.failed());
            }
            if (o.hold() != null) {
                out.printf("  %-24s   %s%n", "", o.hold());
            }
            if (o.error() != null) {
                out.printf("  %-24s   error: %s%n", "", o.error());
            }
        }
        if (!quiet.isEmpty()) {
            out.printf("  not matched (%d): %s%n", quiet.size(), String.join(", ", quiet));
            out.printf("  %-24s   (plan --all-policies shows each with its condition)%n", "");
        }
        section(out, d, PlanDocument.Action.CHANGE, "Changes");
        section(out, d, PlanDocument.Action.OK, "Already as desired");
        section(out, d, PlanDocument.Action.NOT_APPLICABLE, "Not applicable here");
        section(out, d, PlanDocument.Action.ERROR, "Errors: could not be read, or cannot be planned here");
        section(out, d, PlanDocument.Action.UNKNOWN, "Not known without the machine");
        List<PlanDocument.Entry> advice = d.entries().stream().filter(e -> e.action() == PlanDocument.Action.ADVICE).toList();
        if (!advice.isEmpty()) {
            out.println();
            out.println("Advice for a person (never applied) (" + advice.size() + "):");
            for (PlanDocument.Entry e : advice) {
                out.printf("  ! %s: %s%n", e.key().target(), e.desired());
                out.printf("      %s%n", e.describe());
            }
        }
        PlanDocument.Summary s = d.summary();
        out.println();
        out.printf("Plan: %d to change, %d already set, %d not applicable, %d error" + (s.error() == 1 ? "" : "s") + ".%n", s.change(), s.ok(), s.notApplicable(), s.error());
        if (s.appliedOnce() > 0) {
            out.printf("Apply-once: %d setting(s) were applied before and changed since; apply leaves them.%n", s.appliedOnce());
        }
        if (s.audit() > 0) {
            out.printf("Audit: %d setting(s) differ from audit-mode policies; apply leaves them alone.%n", s.audit());
        }
        if (s.unknown() > 0) {
            out.printf("Unknown: %d setting(s) cannot be decided without the machine.%n", s.unknown());
        }
        out.flush();
    }

    private static void section(PrintWriter out, PlanDocument d, PlanDocument.Action action, String title) {
        List<PlanDocument.Entry> list = d.entries().stream().filter(e -> e.action() == action).toList();
        if (list.isEmpty()) {
            return;
        }
        out.println();
        out.println(title + " (" + list.size() + "):");
        String none = "";
        for (PlanDocument.Entry e : list) {
            String note = e.note() == null ? none : e.note();
            switch (action) {
                case CHANGE -> out.printf("  %s %s: %s -> %s%s%n", e.audited() || e.appliedOnce() ? "?" : "~", e.key(),
                        Render.brief(e.current()), Render.brief(e.writes()),
                        e.audited() ? "   [audit: reported only, apply leaves it]" : e.appliedOnce() ? "   [" + note + "]" : "");
                case OK -> out.printf("  = %s: %s%s%n", e.key(), Render.brief(e.current()), note.isEmpty() ? "" : " (" + Render.printable(note) + ")");
                default -> out.printf("  - %s: %s%n", e.key(), Render.printable(note));
            }
            out.printf("      %s%n", e.describe());
            if (action == PlanDocument.Action.CHANGE && !e.audited() && !e.appliedOnce() && !note.isEmpty()) {
                // what the actuator says about this change (e.g. "irreversible: ... cannot be undone"), as -o json has it
                out.printf("      note: %s%n", Render.printable(note));
            }
            if (!e.facts().isEmpty() && action == PlanDocument.Action.CHANGE) {
                out.printf("      because %s%n", String.join(", ", e.facts()));
            }
        }
    }
}
