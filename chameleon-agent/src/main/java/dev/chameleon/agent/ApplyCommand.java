package dev.chameleon.agent;

import dev.chameleon.actuators.Actuators;
import dev.chameleon.actuators.Applier;
import dev.chameleon.model.ChangeSet;
import dev.chameleon.actuators.Journal;
import dev.chameleon.model.JournalEntry;
import dev.chameleon.host.Host;
import dev.chameleon.host.Privileges;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import dev.chameleon.model.DesiredSetting;
import dev.chameleon.model.PlanEntry;
import dev.chameleon.model.SettingKey;
import dev.chameleon.policy.PolicySet;
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

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        var policies = policyOptions.load(hostOptions.host());
        Host host = hostOptions.host();
        if (!yes) {
            throw new UserError(ExitCode.BAD_INPUT, "apply changes the machine; run 'chameleon plan' to see what it would do, "
                    + "then 'chameleon apply --yes'. Nothing was changed.");
        }
        requireRoot(host);
        Journal journal = new Journal(stateOptions.resolve(host));
        Applier applier = new Applier(Actuators.standard(), journal);
        try (AutoCloseable lock = lock(journal)) {
            recover(out, journal, applier, host);
            Session s = Session.run(host, policies);
            for (String e : s.policyErrors()) {
                out.println("could not evaluate, left out: " + e);
            }
            // Settings of audit-mode policies are reported by plan and never applied; apply-once
            // settings that an earlier, still standing change set applied are left as they are now.
            Map<SettingKey, String> once = leftAlone(s.evaluation(), journal);
            List<DesiredSetting> todo = new ArrayList<>();
            for (DesiredSetting d : s.evaluation().applicable()) {
                if (once.containsKey(d.key())) {
                    out.println("Left alone (apply-once, applied before in change set " + once.get(d.key()) + "): " + d.key());
                } else {
                    todo.add(d);
                }
            }
            todo = select(todo, only);
            Applier.Result result;
            try {
                result = applier.apply(host, todo, only.isEmpty() ? "apply --yes" : "apply --yes --only " + String.join(" ", only));
            } catch (IOException e) {
                throw new UserError(ExitCode.FAILED, "cannot start a change set: " + e.getMessage() + "; nothing was changed");
            }
            if (!s.evaluation().audited().isEmpty()) {
                out.println("Left alone (audit mode, reported only): " + s.evaluation().audited().size() + " setting(s); see 'chameleon plan'.");
            }
            print(out, result);
            // what could not be evaluated, read or applied was left as it is: say so in the exit code too
            return result.ok() && s.policyErrors().isEmpty() && errors(result).isEmpty() ? ExitCode.OK : ExitCode.FAILED;
        } catch (UserError | IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(e);
        }
    }

    /**
     * The apply-once settings an earlier change set that still stands has applied with the value
     * now desired, with that change set's id: apply leaves them as they are (a hand change stays).
     */
    static Map<SettingKey, String> leftAlone(PolicySet.Evaluation ev, Journal journal) {
        Map<String, String> before = appliedOnce(journal);
        Map<SettingKey, String> out = new HashMap<>();
        for (DesiredSetting d : ev.applicable()) {
            String cs = before.get(d.key() + "=" + d.value());
            if (ev.mode(d.key()) == dev.chameleon.model.PolicyMode.APPLY_ONCE && cs != null) {
                out.put(d.key(), cs);
            }
        }
        return out;
    }

    /**
     * {@code key=value} of every change verified by a change set that still stands (status
     * {@code applied}, not rolled back), mapped to that change set's id; the newest wins.
     */
    static Map<String, String> appliedOnce(Journal journal) {
        Map<String, String> out = new HashMap<>();
        for (Journal.Loaded l : journal.list()) {
            if (!l.ok() || !l.changeSet().status().equals("applied")) {
                continue;
            }
            for (JournalEntry e : l.changeSet().entries()) {
                if (e.state().equals("verified")) {
                    out.put(e.key() + "=" + e.after(), l.changeSet().id());
                }
            }
        }
        return out;
    }

    /** The desired settings whose keys match {@code --only} (all when empty); an unmatched key is bad input. */
    static List<DesiredSetting> select(List<DesiredSetting> desired, List<String> only) {
        if (only.isEmpty()) {
            return desired;
        }
        List<DesiredSetting> out = new ArrayList<>();
        for (String k : only) {
            boolean wholeKind = k.endsWith(":*");
            // a sysctl's persistence file (sysctl:persist/KEY) goes with the sysctl itself
            List<DesiredSetting> hit = desired.stream().filter(d -> wholeKind ? d.key().kind().equals(k.substring(0, k.length() - 2))
                    : d.key().toString().equals(k) || k.startsWith("sysctl:") && d.key().toString().equals("sysctl:persist/" + k.substring(7)))
                    .toList();
            if (hit.isEmpty()) {
                throw new UserError(ExitCode.BAD_INPUT, "--only " + k + ": no policy wants this setting here (see 'chameleon plan' for the keys); "
                        + "nothing was changed");
            }
            hit.stream().filter(d -> !out.contains(d)).forEach(out::add);
        }
        return out;
    }

    /** Start-up: undo what a crashed run left unfinished, and warn about journal files that cannot be read. */
    static void recover(PrintWriter out, Journal journal, Applier applier, Host host) {
        for (Journal.Loaded l : journal.list()) {
            if (!l.ok()) {
                out.println("warning: " + l.file() + ": " + l.error() + " (kept as it is; it cannot be recovered automatically)");
            }
        }
        for (ChangeSet r : applier.recover(host)) {
            out.println("recovered unfinished change set " + r.id() + " (" + r.status() + "): " + r.message());
        }
    }

    static void requireRoot(Host host) {
        if (host.root().isLive() && !Privileges.isRoot()) {
            throw new UserError(ExitCode.REFUSED, "changing this machine needs root (run with sudo); "
                    + "'chameleon plan' works without. Nothing was changed.");
        }
    }

    static AutoCloseable lock(Journal journal) {
        try {
            return journal.lock();
        } catch (IOException e) {
            throw new UserError(ExitCode.REFUSED, e.getMessage() + "; nothing was changed");
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
}
