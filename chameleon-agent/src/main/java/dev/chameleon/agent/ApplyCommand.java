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
import dev.chameleon.model.PlanEntry;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
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
            for (ChangeSet r : applier.recover(host)) {
                out.println("recovered unfinished change set " + r.id() + ": " + r.message());
            }
            Session s = Session.run(host, policies);
            if (!s.policyErrors().isEmpty()) {
                throw new UserError(ExitCode.BAD_INPUT, s.policyErrors().size() + " policy(ies) could not be evaluated; nothing was changed\n  "
                        + String.join("\n  ", s.policyErrors()));
            }
            List<DesiredSetting> wanted = new ArrayList<>();
            for (DesiredSetting d : s.evaluation().desired()) {
                String mode = s.mode(d);
                if (mode.equals("audit")) {
                    out.println("audit only, not applied: " + d.key() + " = " + d.value() + " (" + d.reason().describe() + ")");
                    continue;
                }
                if (mode.equals("apply-once")) {
                    Optional<String> before = applier.appliedBefore(d.key(), d.value());
                    if (before.isPresent()) {
                        out.println("apply-once, already applied in change set " + before.get() + ": " + d.key() + " = " + d.value());
                        continue;
                    }
                }
                wanted.add(d);
            }
            Applier.Result result = applier.apply(host, wanted, "apply --yes");
            print(out, result, s.unreadable());
            if (!result.ok()) {
                return ExitCode.FAILED;
            }
            return s.unreadable().isEmpty() ? ExitCode.OK : ExitCode.FAILED;
        } catch (UserError | IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(e);
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

    static void print(PrintWriter out, Applier.Result result, List<PlanEntry> unreadable) {
        ChangeSet cs = result.changeSet();
        for (PlanEntry e : unreadable) {
            out.println("could not read " + e.key() + ", left alone: " + e.note());
        }
        if (cs == null) {
            out.println(unreadable.isEmpty() ? "Nothing to change: the machine already matches the policies."
                    : "Nothing changed; " + unreadable.size() + " setting(s) could not be read (above).");
            out.flush();
            return;
        }
        List<JournalEntry> entries = cs.entries();
        out.println("Change set " + cs.id() + " (" + cs.status() + "):");
        for (JournalEntry e : entries) {
            out.printf("  %-9s %s: %s -> %s%n", e.state(), e.key(), e.before().isEmpty() ? "(empty)" : e.before(), e.after());
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
