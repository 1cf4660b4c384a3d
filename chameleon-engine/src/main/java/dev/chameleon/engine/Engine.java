package dev.chameleon.engine;

import dev.chameleon.actuators.Actuators;
import dev.chameleon.actuators.Applier;
import dev.chameleon.actuators.Journal;
import dev.chameleon.actuators.Planner;
import dev.chameleon.actuators.TunedOwnership;
import dev.chameleon.host.Host;
import dev.chameleon.host.Privileges;
import dev.chameleon.model.ChangeSet;
import dev.chameleon.model.DesiredSetting;
import dev.chameleon.model.FactSet;
import dev.chameleon.model.Plan;
import dev.chameleon.policy.PolicyError;
import dev.chameleon.policy.PolicyException;
import dev.chameleon.policy.PolicySet;
import dev.chameleon.policy.TuningParser;
import dev.chameleon.sensors.FactCache;
import dev.chameleon.sensors.SensorSuite;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * One engine under every command, the daemon and (from reported data) the control plane's
 * simulation: the host, sensors, policy sources and actuators assembled from one
 * {@link EngineConfig}, and the steps of a pass on top of them.
 *
 * <ul>
 * <li>{@link #sense} → {@link #pass} (evaluate the policies, plan against the machine, decide what
 * apply may touch through one {@link ApplyScope}) → {@link Pass};</li>
 * <li>{@link #changes()} takes the state folder's change lock and gives the steps that change the
 * machine: recovery of unfinished change sets, apply (write, verify, journal; undone on any
 * failure) and rollback;</li>
 * <li>{@link #applySettings} and {@link #rollback(String, boolean, String)} do one such step in one call
 * (what learned tuning uses to try settings and undo them).</li>
 * </ul>
 * An engine is immutable apart from the journal on disk; a daemon reloading its configuration
 * builds a new one. Every refusal is an {@link EngineException}.
 */
public final class Engine {
    private final EngineConfig config;
    private final Host host;
    private final SensorSuite sensors;
    private final Actuators actuators;
    private volatile StateFolder state;
    private volatile Journal journal;

    private Engine(EngineConfig config, Host host, SensorSuite sensors, Actuators actuators) {
        this.config = config;
        this.host = host;
        this.sensors = sensors;
        this.actuators = actuators;
    }

    /** Assembles the engine a configuration describes: nothing is read or run yet. */
    public static Engine of(EngineConfig config) {
        Host host = Host.forOptions(config.root(), config.commands());
        SensorSuite suite = SensorSuite.standard(config.metadata()).without(config.sensorsOff());
        return new Engine(config, host, suite, Actuators.standard());
    }

    public EngineConfig config() {
        return config;
    }

    /** The machine: files under the root, commands through the runner. */
    public Host host() {
        return host;
    }

    /** The sensors, switched as the configuration says. */
    public SensorSuite sensors() {
        return sensors;
    }

    public Actuators actuators() {
        return actuators;
    }

    /**
     * The state folder: {@code stateDir} as given, else {@value EngineConfig#DEFAULT_STATE} under the root.
     *
     * @throws EngineException.BadInput when something other than a folder is there (setting {@code stateDir})
     */
    public StateFolder stateFolder() {
        StateFolder s = state;
        if (s == null) {
            Path p = config.stateDir() != null ? config.stateDir() : host.root().resolve(EngineConfig.DEFAULT_STATE);
            if (Files.exists(p) && !Files.isDirectory(p)) {
                throw new EngineException.BadInput("stateDir", " " + p + ": not a folder");
            }
            s = state = new StateFolder(p);
        }
        return s;
    }

    /** The journal in the state folder. */
    public Journal journal() {
        Journal j = journal;
        if (j == null) {
            j = journal = new Journal(stateFolder().path());
        }
        return j;
    }

    /**
     * Change sets a crashed or killed run left unfinished ({@code in-progress} or
     * {@code rolling-back}) that wait to be recovered: undone by the next {@code apply},
     * {@code rollback} or start of the agent in apply mode. Empty while another process holds the
     * change lock (its change set is running, not interrupted). Reads the journal only.
     */
    public List<ChangeSet> interrupted() {
        if (stateFolder().changeRunning()) {
            return List.of();
        }
        List<ChangeSet> out = new java.util.ArrayList<>();
        for (Journal.Loaded l : journal().list()) {
            if (l.ok() && dev.chameleon.actuators.Applier.UNFINISHED.contains(l.changeSet().status())) {
                out.add(l.changeSet());
            }
        }
        return out;
    }

    /**
     * Trials a killed tuning run left applied: applied change sets whose trigger starts with
     * {@value Recovery#TRIAL_TRIGGER}, newest first, while no tuning run holds the state folder's
     * tuning lock ({@link StateFolder#tuningLock()}; empty while one does: its trial is under
     * way). Reads the journal only; {@link Changes#recover()} rolls them back.
     */
    public List<ChangeSet> interruptedTrials() {
        if (stateFolder().tuningRunning()) {
            return List.of();
        }
        return trialChangeSets();
    }

    private List<ChangeSet> trialChangeSets() {
        List<ChangeSet> left = new ArrayList<>(appliedChangeSets().stream().filter(cs -> cs.trigger() != null
                && cs.trigger().startsWith(Recovery.TRIAL_TRIGGER)).toList());
        java.util.Collections.reverse(left);
        return left;
    }

    /** One line for people about an interrupted change set, saying what recovers it. */
    public static String interruptedNote(ChangeSet cs) {
        return "change set " + cs.id() + " was interrupted (" + cs.status() + ", " + cs.entries().size()
                + " setting(s) recorded): a run stopped in the middle of it; the next 'chameleon apply', 'chameleon rollback' "
                + "or start of the agent in apply mode undoes it";
    }

    // --- policies ---

    /**
     * The policy sources in load order: the built-in pack, {@value EngineConfig#SYSTEM_POLICIES}
     * under the root (when present), then each configured path; a folder or file given twice
     * loads once. Sources that cannot be read become {@code errors}.
     */
    public List<PolicySet.Source> policySources(List<PolicyError> errors) {
        List<PolicySet.Source> sources = new ArrayList<>();
        if (config.builtinPolicies()) {
            sources.addAll(PolicySet.defaultPack());
        }
        // policies.d and the configured paths through one reader, so a file named by both (the
        // .deb's agent.yaml lists /etc/chameleon/policies.d) is loaded once, not refused as a
        // policy clashing with itself
        List<Path> all = new ArrayList<>();
        if (config.systemPolicies() && host.root().isDirectory(EngineConfig.SYSTEM_POLICIES)) {
            all.add(host.root().resolve(EngineConfig.SYSTEM_POLICIES));
        }
        all.addAll(config.policyPaths());
        sources.addAll(paths(all, errors));
        return sources;
    }

    /**
     * Compiles the policies.
     *
     * @throws EngineException.BadInput a source that cannot be read, or policies that do not
     *                                  compile: every positioned error, one per line
     */
    public PolicySet loadPolicies() {
        List<PolicyError> errors = new ArrayList<>();
        return compile(policySources(errors), errors);
    }

    /** The policy folders to watch for changes: policies.d under the root (also when it does not exist yet: the daemon waits for it to be made) and each folder (or file's folder) configured. */
    public List<Path> policyFolders() {
        List<Path> dirs = new ArrayList<>();
        // the system folder even when it does not exist yet: the daemon waits for it to be made
        if (config.systemPolicies()) {
            dirs.add(host.root().resolve(EngineConfig.SYSTEM_POLICIES));
        }
        for (Path p : config.policyPaths()) {
            Path d = Files.isDirectory(p) ? p : p.toAbsolutePath().getParent();
            if (d != null && Files.isDirectory(d) && !dirs.contains(d)) {
                dirs.add(d);
            }
        }
        return dirs;
    }

    /** Folders and files as sources, each file once however often it is named. */
    public static List<PolicySet.Source> paths(List<Path> paths, List<PolicyError> errors) {
        List<PolicySet.Source> sources = new ArrayList<>();
        Set<Path> seen = new HashSet<>();
        for (Path p : paths) {
            Path real;
            try {
                real = p.toRealPath();
            } catch (IOException e) {
                real = p.toAbsolutePath().normalize();
            }
            if (!seen.add(real)) {
                continue;
            }
            if (Files.isDirectory(p)) {
                sources.addAll(PolicySet.directory(p, errors));
            } else if (Files.isRegularFile(p)) {
                sources.addAll(PolicySet.file(p, errors));
            } else {
                errors.add(new PolicyError(p.toString(), 0, 0, "no such file or folder", ""));
            }
        }
        // a folder given twice, or a folder and a file in it, loads each file once
        Map<Path, PolicySet.Source> unique = new LinkedHashMap<>();
        for (PolicySet.Source s : sources) {
            unique.putIfAbsent(Path.of(s.name()).toAbsolutePath().normalize(), s);
        }
        return new ArrayList<>(unique.values());
    }

    /**
     * Compiles {@code sources}, or refuses with every problem positioned.
     *
     * @throws EngineException.BadInput {@code errors} (unreadable sources) or compile errors
     */
    public static PolicySet compile(List<PolicySet.Source> sources, List<PolicyError> errors) {
        List<PolicySet.Source> tunings = tuningSources(sources);
        if (!tunings.isEmpty()) {
            // Tuning documents live beside the policies (policies.d, a bundle): read (and refused, positioned) here, run by the agent
            errors = new ArrayList<>(errors);
            TuningParser.parseAll(tunings, errors); // a Tuning name used twice is refused too: both would write STATE/tuning/NAME.json
            sources = sources.stream().filter(s -> !tunings.contains(s)).toList();
        }
        if (!errors.isEmpty()) {
            throw new EngineException.BadInput("cannot load policies; nothing was changed\n"
                    + errors.stream().map(PolicyError::format).collect(Collectors.joining("\n")));
        }
        try {
            return PolicySet.compile(sources);
        } catch (PolicyException e) {
            throw new EngineException.BadInput("policies do not compile; nothing was changed\n"
                    + e.errors().stream().map(PolicyError::format).collect(Collectors.joining("\n")));
        }
    }

    /**
     * The sources among {@code sources} that are Tuning files (read by the Tuning reader:
     * {@link dev.chameleon.policy.PolicyParser#readerOf}):
     * {@link #compile} reads them with the Tuning reader instead of compiling them as policies,
     * and the agent runs the Tunings they hold (docs/tuning.md).
     */
    public static List<PolicySet.Source> tuningSources(List<PolicySet.Source> sources) {
        return sources.stream().filter(s -> dev.chameleon.policy.PolicyParser.readerOf(s.text())
                == dev.chameleon.policy.PolicyParser.Reader.TUNING).toList();
    }

    // --- a pass ---

    /**
     * What the sensors find, everything read afresh (costly answers whose inputs did not change
     * taken from the store, {@link #freshCache()}).
     */
    public FactSet sense() {
        return sensors.collect(host, freshCache());
    }

    /**
     * A fresh cache for one collection. On the live machine (no other root, no canned commands) it
     * keeps costly answers between processes in {@code STATE/cache} ({@link FactCache#FactCache(Path)}:
     * today the {@code updates} sensor's {@code apt-cache policy}, asked again when dpkg or apt
     * changed); for a {@code --root} tree or canned commands nothing is stored. Only a state
     * folder that already exists is used (the package makes it; a read-only command on a machine
     * without the agent creates nothing); one that cannot be used means no store, never an error.
     */
    public FactCache freshCache() {
        boolean live = (config.root() == null || config.root().equals(Path.of("/"))) && config.commands() == null;
        if (!live) {
            return new FactCache();
        }
        try {
            Path state = stateFolder().path();
            return Files.isDirectory(state) ? new FactCache(state.resolve("cache")) : new FactCache();
        } catch (RuntimeException e) {
            return new FactCache();
        }
    }

    /** What the sensors find, constants taken from {@code cache} (the daemon keeps one between passes). */
    public FactSet sense(FactCache cache) {
        return sensors.collect(host, cache);
    }

    /** Senses, evaluates {@code policies} and plans. */
    public Pass pass(PolicySet policies) {
        return pass(policies, freshCache());
    }

    /** Senses (constants from {@code cache}), evaluates and plans. */
    public Pass pass(PolicySet policies, FactCache cache) {
        FactSet facts = sense(cache);
        return plan(policies, facts, policies.evaluate(facts));
    }

    /**
     * Plans {@code ev} (an evaluation of {@code policies} against {@code facts}), with the
     * put-backs of transient policies that stopped matching ({@link TransientUndo}): decides what
     * apply may touch and reads every other setting's current value.
     */
    public Pass plan(PolicySet policies, FactSet facts, PolicySet.Evaluation ev) {
        ev = TransientUndo.withPutBacks(policies, ev, journal()); // transient policies that stopped matching: their values put back
        ApplyScope scope = ApplyScope.of(ev, ApplyScope.appliedValues(journal()), TunedOwnership.load(host));
        Plan plan = new Planner(actuators).plan(host, ev.desired(), scope::owner);
        return new Pass(facts, policies, ev, plan, scope);
    }

    // --- changing the machine ---

    /**
     * The settings of {@code cs} that wait for the next boot, {@code KEY: why}, from chameleon's
     * reboot record ({@link dev.chameleon.host.RebootRecord}, which the fact {@code updates.reboot}
     * also reads); empty without a change set. Chameleon never reboots: the CLI prints these and
     * the daemon reports them as a notice.
     */
    public List<String> rebootPending(dev.chameleon.model.ChangeSet cs) {
        if (cs == null) {
            return List.of();
        }
        java.util.Set<String> keys = new java.util.HashSet<>();
        cs.entries().forEach(e -> keys.add(e.key()));
        return dev.chameleon.host.RebootRecord.read(host.root()).entrySet().stream().filter(e -> keys.contains(e.getKey()))
                .map(e -> e.getKey() + ": " + e.getValue()).toList();
    }

    /**
     * What waits for the next boot on this machine now, one line each: Chameleon's own record
     * ({@value dev.chameleon.host.RebootRecord#PATH}: {@code "KEY: WHY"}) and Debian's
     * {@code /run/reboot-required} ({@code "/run/reboot-required: asked by PKG, PKG"}, the packages
     * from {@code /run/reboot-required.pkgs}); empty when nothing waits. Read through the root.
     */
    public List<String> rebootRequired() {
        List<String> out = new ArrayList<>();
        dev.chameleon.host.RebootRecord.read(host.root()).forEach((k, v) -> out.add(k + ": " + v));
        if (host.root().exists("/run/reboot-required") && !host.root().isDirectory("/run/reboot-required")) {
            dev.chameleon.host.HostFile pkgs = host.root().read("/run/reboot-required.pkgs");
            List<String> names = pkgs.isPresent() ? dev.chameleon.host.RebootRecord.packages(pkgs.text()) : List.of();
            out.add("/run/reboot-required: asked by " + (names.isEmpty() ? "a package's maintainer script" : String.join(", ", names)));
        }
        return out;
    }

    /**
     * Refuses to change the live machine without root; a root folder needs no privilege.
     *
     * @throws EngineException.Refused on this machine, not root
     */
    public void requireRoot() {
        if (host.root().isLive() && !Privileges.isRoot()) {
            throw new EngineException.Refused("changing this machine needs root (run with sudo); "
                    + "'chameleon plan' works without. Nothing was changed.");
        }
    }

    /**
     * Takes the state folder's change lock and returns the steps that change the machine; close
     * it to release the lock.
     *
     * @throws EngineException.Refused another process holds the lock
     */
    public Changes changes() {
        return new Changes(stateFolder().changeLock());
    }

    /**
     * Applies {@code settings} as one change set, with the change lock taken for the call: the
     * settings are planned against the machine, each change journalled, written and verified,
     * and the whole set undone on any failure.
     *
     * @param trigger why, as the journal records it ({@code tuner trial 3: vm.dirty_ratio})
     * @throws EngineException.Refused another process held the change lock for {@link #LOCK_WAIT}
     */
    public Applier.Result applySettings(List<DesiredSetting> settings, String trigger) {
        try (Changes c = changesWaiting()) {
            return c.apply(settings, trigger);
        }
    }

    /**
     * Rolls back the applied change set {@code id}, with the change lock taken for the call
     * ({@link Changes#rollback(String, boolean, String)}). Like {@link #applySettings}, waits up to
     * {@link #LOCK_WAIT} for the lock.
     */
    public Applier.Result rollback(String id, boolean force, String cause) {
        try (Changes c = changesWaiting()) {
            return c.rollback(id, force, cause);
        }
    }

    /**
     * How long {@link #applySettings} and {@link #rollback(String, boolean, String)} (the tuner's
     * steps) wait for the change lock: the agent running a Tuning applies its trials between its
     * own passes, which hold the lock for the seconds of an apply.
     */
    public static final java.time.Duration LOCK_WAIT = java.time.Duration.ofSeconds(60);

    private Changes changesWaiting() {
        long until = System.nanoTime() + LOCK_WAIT.toNanos();
        while (true) {
            try {
                return changes();
            } catch (EngineException.Refused e) {
                if (System.nanoTime() > until) {
                    throw e;
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /** Every change set still (partly) in place, in journal order. */
    public List<ChangeSet> appliedChangeSets() {
        return new Applier(actuators, journal()).applied();
    }

    /** The newest change set still (partly) in place. */
    public Optional<ChangeSet> lastApplied() {
        return new Applier(actuators, journal()).lastApplied();
    }

    /**
     * The applied change set {@code id}.
     *
     * @throws EngineException.BadInput no applied change set has it (setting {@code changeset})
     */
    public ChangeSet appliedChangeSet(String id) {
        return appliedChangeSets().stream().filter(c -> c.id().equals(id)).findFirst().orElseThrow(() ->
                new EngineException.BadInput("changeset", " " + id + ": no applied change set with this id (see 'chameleon history'); nothing was changed"));
    }

    /** Why {@code cs} cannot be rolled back alone (a later change set changed the same settings), or empty. */
    public Optional<String> blockedBy(ChangeSet cs) {
        return new Applier(actuators, journal()).blockedBy(cs);
    }

    /** What a rollback of {@code cs} would put back, one line each, changing nothing. */
    public List<String> previewRollback(ChangeSet cs, boolean force) {
        return new Applier(actuators, journal()).previewRollback(host, cs, force);
    }

    /**
     * The steps that change the machine, with the state folder's change lock held until
     * {@link #close()}: recovery, apply, rollback. Not thread-safe; one at a time per state folder.
     */
    public final class Changes implements AutoCloseable {
        private final AutoCloseable lock;
        private final Applier applier;

        private Changes(AutoCloseable lock) {
            this.lock = lock;
            this.applier = new Applier(actuators, journal());
        }

        /**
         * Undoes what a crashed run left unfinished, then rolls back (forced) the trials a killed
         * tuning run left applied ({@link #interruptedTrials()}; none while a tuning run holds the
         * tuning lock); reports journal files that cannot be read (kept as they are). Every
         * {@code apply}, {@code rollback} and start of the agent in apply mode runs it first.
         */
        public Recovery recover() {
            List<Journal.Loaded> bad = journal().list().stream().filter(l -> !l.ok()).toList();
            List<ChangeSet> unfinished = applier.recover(host);
            return new Recovery(bad, unfinished, undo(interruptedTrials()));
        }

        /**
         * Rolls back (forced) every applied trial's change set, newest first, whoever holds the
         * tuning lock: for a tuning run that holds it itself, before its first trial.
         */
        public List<Recovery.TrialUndone> undoTrials() {
            return undo(trialChangeSets());
        }

        private List<Recovery.TrialUndone> undo(List<ChangeSet> trials) {
            List<Recovery.TrialUndone> out = new ArrayList<>();
            for (ChangeSet cs : trials) {
                Applier.Result r = rollback(cs, true, "recovery: a tuning run stopped before undoing its trial");
                out.add(new Recovery.TrialUndone(cs, r.ok(), r.message()));
            }
            return out;
        }

        /**
         * Applies {@code settings} as one change set (planned again against the machine first;
         * those already as desired are not touched).
         *
         * @throws EngineException.Failed the change set cannot even be started in the journal; nothing changed
         */
        public Applier.Result apply(List<DesiredSetting> settings, String trigger) {
            try {
                return applier.apply(host, settings, trigger);
            } catch (IOException e) {
                throw new EngineException.Failed("cannot start a change set: " + e.getMessage() + "; nothing was changed");
            }
        }

        /**
         * Rolls back {@code cs} in reverse, back to the journalled values.
         *
         * @param force also put back values someone changed after the apply
         * @param cause why, first in the change set's message (null: an operator's rollback)
         * @throws EngineException.Failed the rollback cannot be started in the journal (the message is the journal's)
         */
        public Applier.Result rollback(ChangeSet cs, boolean force, String cause) {
            try {
                return applier.rollback(host, cs, force, cause);
            } catch (IOException e) {
                throw new EngineException.Failed(e.getMessage()); // the journal's own words: "cannot write the journal file F: ..."
            }
        }

        /**
         * Rolls back the applied change set {@code id}.
         *
         * @throws EngineException.BadInput no applied change set has this id
         * @throws EngineException.Refused  a later change set changed the same settings
         */
        public Applier.Result rollback(String id, boolean force, String cause) {
            ChangeSet cs = appliedChangeSet(id);
            Optional<String> blocked = blockedBy(cs);
            if (blocked.isPresent()) {
                throw new EngineException.Refused("change set " + id + ": " + blocked.get() + "; nothing was changed");
            }
            return rollback(cs, force, cause);
        }

        @Override
        public void close() {
            try {
                lock.close();
            } catch (Exception e) {
                throw new EngineException.Failed("cannot release the state lock: " + e.getMessage());
            }
        }
    }
}
