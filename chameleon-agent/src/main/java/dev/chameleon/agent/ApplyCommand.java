package dev.chameleon.agent;

import dev.chameleon.actuators.Actuators;
import dev.chameleon.actuators.Applier;
import dev.chameleon.actuators.ChangeSet;
import dev.chameleon.actuators.Journal;
import dev.chameleon.actuators.JournalEntry;
import dev.chameleon.host.Host;
import dev.chameleon.host.Privileges;
import java.io.IOException;
import java.io.PrintWriter;
import dev.chameleon.model.DesiredSetting;
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

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        var policies = policyOptions.load();
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
            List<DesiredSetting> desired = select(s.evaluation().desired(), only);
            Applier.Result result;
            try {
                result = applier.apply(host, desired, only.isEmpty() ? "apply --yes" : "apply --yes --only " + String.join(" ", only));
            } catch (IOException e) {
                throw new UserError(ExitCode.FAILED, "cannot start a change set: " + e.getMessage() + "; nothing was changed");
            }
            print(out, result);
            return result.ok() ? ExitCode.OK : ExitCode.FAILED;
        } catch (UserError | IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(e);
        }
    }

    /** The desired settings whose keys match {@code --only} (all when empty); an unmatched key is bad input. */
    static List<DesiredSetting> select(List<DesiredSetting> desired, List<String> only) {
        if (only.isEmpty()) {
            return desired;
        }
        List<DesiredSetting> out = new ArrayList<>();
        for (String k : only) {
            boolean wholeKind = k.endsWith(":*");
            List<DesiredSetting> hit = desired.stream().filter(d -> wholeKind ? d.key().kind().equals(k.substring(0, k.length() - 2))
                    : d.key().toString().equals(k)).toList();
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

    static void print(PrintWriter out, Applier.Result result) {
        for (var e : result.plan().entries()) {
            if (e.action() == dev.chameleon.model.PlanEntry.Action.ERROR) {
                out.println("Not applied (error): " + e.key() + ": " + e.note());
            }
        }
        ChangeSet cs = result.changeSet();
        if (cs == null) {
            out.println("Nothing to change: the machine already matches the policies.");
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
