package dev.chameleon.cli;

import dev.chameleon.actuators.Applier;
import dev.chameleon.engine.Engine;
import dev.chameleon.engine.Pass;
import dev.chameleon.model.ChangeSet;
import dev.chameleon.model.DesiredSetting;
import dev.chameleon.model.JournalEntry;
import dev.chameleon.model.PlanEntry;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code chameleon apply --yes}: one pass of sense → decide → plan → apply → verify. */
@Command(name = "apply", mixinStandardHelpOptions = true,
        description = "Apply the plan: journal each old value, write, verify; undo the whole change set on any failure.")
final class ApplyCommand implements Callable<Integer> {
    @Mixin
    HostOptions hostOptions;
    @Mixin
    PolicyOptions policyOptions;
    @Mixin
    StateOptions stateOptions;

    @Option(names = "--yes", description = "Really change the machine (without it, apply refuses).")
    boolean yes;

    @Option(names = "--only", paramLabel = "KEY", arity = "1..*",
            description = "Apply only these settings (kind:target as 'plan' shows them, e.g. sysctl:vm.swappiness; "
                    + "kind:* for a whole kind). The rest of the plan is left as it is.")
    List<String> only = new ArrayList<>();

    @picocli.CommandLine.Option(names = {"-o", "--output"}, paramLabel = "FORMAT",
            description = "table, json or yaml (default: ${DEFAULT-VALUE}); the shapes: docs/plan-json.md")
    OutputFormat output = OutputFormat.table;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        Engine engine = hostOptions.engine(policyOptions, stateOptions);
        var policies = engine.loadPolicies();
        if (!yes) {
            String scope = Scope.of(spec);
            throw new UserError(ExitCode.BAD_INPUT, "apply changes the machine; run 'chameleon plan" + scope + "' to see what it would do, "
                    + "then 'chameleon apply --yes" + scope + "'. Nothing was changed.");
        }
        engine.requireRoot();
        try (Engine.Changes changes = engine.changes()) {
            boolean table = output == OutputFormat.table;
            List<String> recovered = changes.recover().lines();
            if (table) {
                recovered.forEach(out::println);
            }
            Pass s = engine.pass(policies);
            if (table) {
                for (String e : s.policyErrors()) {
                    out.println("could not evaluate, left out: " + e);
                }
                // Settings of audit-mode policies are reported by plan and never applied; apply-once
                // settings that an earlier, still standing change set applied are left as they are now.
                s.scope().appliedOnce().forEach((key, cs) ->
                        out.println("Left alone (apply-once, applied before in change set " + cs + "): " + key));
            }
            List<DesiredSetting> todo = s.scope().todo(only);
            Applier.Result result = changes.apply(todo, only.isEmpty() ? "apply --yes" : "apply --yes --only " + String.join(" ", only));
            // what could not be evaluated, read or applied was left as it is: say so in the exit code too
            int code = result.ok() && s.policyErrors().isEmpty() && errors(result).isEmpty() ? ExitCode.OK : ExitCode.FAILED;
            if (!table) {
                java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
                m.put("ok", code == ExitCode.OK);
                m.put("message", result.message());
                m.put("changeSet", result.changeSet() == null ? null : dev.chameleon.model.json.ChangeSetCodec.tree(result.changeSet()));
                m.put("notApplied", errors(result).stream().map(e -> (Object) java.util.Map.of("key", e.key().toString(),
                        "note", e.note() == null ? "" : e.note())).toList());
                m.put("policyErrors", List.copyOf(s.policyErrors()));
                java.util.Map<String, Object> once = new java.util.TreeMap<>();
                s.scope().appliedOnce().forEach((key, cs) -> once.put(String.valueOf(key), String.valueOf(cs)));
                m.put("appliedOnce", once);
                m.put("audited", s.evaluation().audited().size());
                m.put("recovered", recovered);
                m.put("rebootRequired", engine.rebootPending(result.changeSet())); // KEY: why, for the changes that wait for a boot
                out.print(Render.as(output, m));
                if (output == OutputFormat.json) {
                    out.println();
                }
                out.flush();
                return code;
            }
            if (!s.evaluation().audited().isEmpty()) {
                out.println("Left alone (audit mode, reported only): " + s.evaluation().audited().size() + " setting(s); see 'chameleon plan'.");
            }
            print(out, result);
            rebootNotice(out, engine.rebootPending(result.changeSet()));
            return code;
        }
    }

    /** Settings the applier could not handle: unreadable now, or refused by their actuator. */
    static List<PlanEntry> errors(Applier.Result result) {
        return result.plan().entries().stream().filter(e -> e.action() == PlanEntry.Action.ERROR).toList();
    }

    static void print(PrintWriter out, Applier.Result result) {
        List<PlanEntry> errors = errors(result);
        for (PlanEntry e : errors) {
            out.println("Not applied (error): " + e.key() + ": " + e.note());
        }
        ChangeSet cs = result.changeSet();
        if (cs == null) {
            out.println(errors.isEmpty() ? "Nothing to change: the machine already matches the policies."
                    : "Nothing changed; " + errors.size() + " setting(s) could not be applied (above).");
            out.flush();
            return;
        }
        List<JournalEntry> entries = cs.entries();
        out.println("Change set " + cs.id() + " (" + cs.status() + "):");
        for (JournalEntry e : entries) {
            out.printf("  %-9s %s: %s -> %s%n", e.state(), e.key(), Render.brief(e.before()), Render.brief(e.after()));
            out.printf("            %s%n", e.reason());
            out.printf("            undo by hand: %s%n", e.undoCommand());
            if (!e.error().isEmpty()) {
                out.printf("            error: %s%n", e.error());
            }
        }
        out.println(result.ok() ? result.message() : "FAILED: " + result.message());
        out.flush();
    }

    /**
     * The changes of the change set that wait for a boot ({@link Engine#rebootPending}): one line
     * each; chameleon never reboots.
     */
    static void rebootNotice(PrintWriter out, List<String> waiting) {
        if (!waiting.isEmpty()) {
            out.println("Reboot required (chameleon does not reboot; updates.reboot.pending is true until the machine boots):");
            waiting.forEach(w -> out.println("  " + w));
            out.flush();
        }
    }
}
